"""Hostile input against the public APIs landed this session, by someone who did not write them.

One invariant, the house rule: whatever the bytes or the arguments, an entry point returns or
raises :class:`eventstream.EventStreamError`; nothing else (``TypeError``, ``ValueError``,
``MemoryError``, a traceback in a server thread or on the CLI's stderr) gets out. Memory stays
bounded by the input, not by what the input claims, and a cut stream ends in an error, never
as if complete.

Valid inputs come from the library's own encoders (``translate.to_anthropic``,
``bedrock.encode_event``, ``bedrock_strategies``), from the real tools (``xxd``, ``hexdump -C``
listings in ``tests/data/hostile/``; tcpdump and mitmproxy captures in ``tests/data/``), then
are cut, bit-flipped and stuffed. Each escape found is a plain reproducer below, marked
``xfail(strict=True)`` with the bug while it stands, so that its fix shows as an XPASS.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import gc
import gzip
import io
import json
import random
import socket
import struct
import threading
import time
import traceback
import tracemalloc
import warnings
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import eventstream as es
from eventstream import awslambda, capture, cli, mock, sagemaker, translate
from eventstream import bedrock as br
from eventstream import bedrock_strategies as bs
from eventstream.bedrock import agent
from eventstream.bedrock import nova_sonic as ns
from eventstream.samples import sample_bytes
from tests.support import ThreadErrors

DATA = Path(__file__).resolve().parent / "data"
HOSTILE = DATA / "hostile"

#: Derandomized (CI is stable), no deadline (2 shared cores), bounded.
SWEEP = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: The properties whose inputs are costly to draw (nested JSON objects) run fewer.
HEAVY = settings(SWEEP, max_examples=100)
FEW = settings(SWEEP, max_examples=60)


def ours(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)``'s value, or ``None`` if it raised the library's error;
    anything else propagates (and fails the test with its traceback)."""
    try:
        return call(*args, **kwargs)
    except es.EventStreamError:
        return None


def deep(depth: int, opener: bytes = b"[") -> bytes:
    """JSON nested ``depth`` deep (unclosed: a parser must refuse it before the end)."""
    return opener * depth


def deep_object(depth: int) -> dict[str, Any]:
    """A Python dict nested ``depth`` deep (what a caller can hand over without JSON)."""
    root: dict[str, Any] = {}
    node = root
    for _ in range(depth):
        node["a"] = {}
        node = node["a"]
    return root


def damaged(data: bytes) -> st.SearchStrategy[bytes]:
    """``data`` cut short, bit-flipped, with bytes inserted or overwritten."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        buffer = bytearray(data)
        for _ in range(draw(st.integers(1, 3))):
            if not buffer:
                break
            how = draw(st.sampled_from(["cut", "flip", "insert", "set", "drop"]))
            at = draw(st.integers(0, len(buffer) - 1))
            if how == "cut":
                del buffer[at:]
            elif how == "flip":
                buffer[at] ^= 1 << draw(st.integers(0, 7))
            elif how == "insert":
                buffer[at:at] = draw(st.binary(min_size=1, max_size=8))
            elif how == "set":
                buffer[at] = draw(st.sampled_from(b'\x00\xff0 9:,\n\r*{}[]"\\'))
            else:
                del buffer[at : at + draw(st.integers(1, 16))]
        return bytes(buffer)

    return build()


#: Hostile JSON scalars: wrong types, huge and negative numbers, odd strings.
HOSTILE_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 10**30, 1.5, -0.0, 1e308]),
    st.integers(),
    st.text(max_size=12),
    st.sampled_from(["", "\x00", "\ufeff", "end_turn", "tool_use", "text", "error", "x" * 300]),
    # Valid JSON escapes with no UTF-8 form once parsed (a lone surrogate).
    st.sampled_from(["\ud800", "a\udfff"]),
)


def hostile_json(keys: list[str]) -> st.SearchStrategy[Any]:
    """JSON values whose objects use ``keys`` (the names a reader looks for) and hold
    hostile scalars, lists and objects, a few levels deep."""
    return st.recursive(
        HOSTILE_SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(keys) | st.text(max_size=6), inner, max_size=4),
        ),
        max_leaves=8,
    )


# ============================================================================================
# eventstream.translate
# ============================================================================================

_ANTHROPIC_KEYS = [
    "type", "index", "delta", "content_block", "message", "usage", "error", "text",
    "partial_json", "thinking", "signature", "data", "id", "name", "input", "model", "role",
    "stop_reason", "stop_sequence", "citation", "cited_text", "document_index", "url",
    "input_tokens", "output_tokens", "cache_creation", "cache_read_input_tokens",
    "cache_creation_input_tokens", "ephemeral_5m_input_tokens", "message_start",
    "content_block_start", "content_block_delta", "content_block_stop", "message_delta",
    "message_stop", "text_delta", "input_json_delta", "thinking_delta", "signature_delta",
    "citations_delta", "redacted_thinking", "tool_use", "amazon-bedrock-invocationMetrics",
    "invocationLatency", "page_location", "search_result_location", "start_page_number",
]  # fmt: skip
_OPENAI_KEYS = [
    "choices", "index", "delta", "finish_reason", "usage", "error", "content", "refusal",
    "reasoning", "reasoning_content", "reasoning_details", "type", "data", "signature",
    "tool_calls", "id", "function", "name", "arguments", "role", "model", "prompt_tokens",
    "completion_tokens", "total_tokens", "prompt_tokens_details", "cached_tokens",
    "cache_creation_input_tokens", "code", "message", "reasoning.encrypted", "reasoning.text",
    "stop", "length", "tool_calls",
]  # fmt: skip


_ANTHROPIC_TYPES = [
    "message_start", "content_block_start", "content_block_delta", "content_block_stop",
    "message_delta", "message_stop", "error", "ping", "nope",
]  # fmt: skip


def _anthropic_shaped() -> st.SearchStrategy[dict[str, Any]]:
    """Anthropic stream events with hostile members (the type one a reader knows)."""
    return st.builds(
        lambda kind, rest: {**rest, "type": kind},
        st.sampled_from(_ANTHROPIC_TYPES) | HOSTILE_SCALARS,
        st.dictionaries(st.sampled_from(_ANTHROPIC_KEYS), hostile_json(_ANTHROPIC_KEYS)),
    )


def _openai_shaped() -> st.SearchStrategy[dict[str, Any]]:
    choice = st.dictionaries(st.sampled_from(_OPENAI_KEYS), hostile_json(_OPENAI_KEYS))
    return st.builds(
        lambda choices, rest: {**rest, "choices": choices},
        st.lists(choice, max_size=2) | HOSTILE_SCALARS,
        st.dictionaries(st.sampled_from(_OPENAI_KEYS), hostile_json(_OPENAI_KEYS)),
    )


def _sse(value: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    # surrogatepass: a lone surrogate in the event name goes out as the bytes a careless
    # server writes for it (not UTF-8), which the reader must refuse or take.
    return (head + "data: " + json.dumps(value) + "\n\n").encode("utf-8", "surrogatepass")


def _events_of(name: str) -> list[br.TypedEvent]:
    return list(br.events(sample_bytes(name), stream="auto", raise_exceptions=False))


_SAMPLES = ("converse_tool_use", "claude_invoke_tool_use", "claude_invoke_stream_error")
#: What the library writes for its own samples: valid Anthropic and OpenAI bodies.
ANTHROPIC_BODIES = [b"".join(translate.to_anthropic(_events_of(n), model="m")) for n in _SAMPLES]
OPENAI_BODIES = [
    b"".join(translate.to_openai(_events_of(n), model="m", include_usage=True)) for n in _SAMPLES
]


def _read(
    reader: translate.AnthropicToBedrock | translate.OpenAIToBedrock, pieces: list[bytes]
) -> tuple[list[br.TypedEvent], bool]:
    """The events of ``pieces`` and ``close()``, and whether a piece was refused (raised:
    the caller has been told the stream failed)."""
    out: list[br.TypedEvent] = []
    refused = False
    try:
        for piece in pieces:
            out.extend(reader.feed_bytes(piece))
    except es.EventStreamError:
        refused = True
    out.extend(reader.close())
    assert reader.finished
    return out, refused


def _read_anthropic(pieces: list[bytes], stream: str) -> tuple[list[br.TypedEvent], bool]:
    return _read(translate.AnthropicToBedrock(stream), pieces)  # type: ignore[arg-type]


def _read_openai(pieces: list[bytes], stream: str) -> tuple[list[br.TypedEvent], bool]:
    return _read(translate.OpenAIToBedrock(stream), pieces)  # type: ignore[arg-type]


def _ends_closed(read: tuple[list[br.TypedEvent], bool]) -> None:
    """Fail closed: a converse stream read back ends with its metadata after a stop, or
    with an exception (or the reader raised); never with content as if whole."""
    events, refused = read
    if refused:
        return
    assert events, "close() gave nothing for a stream that never ended"
    last = events[-1]
    if isinstance(last, br.Metadata):
        assert any(isinstance(e, br.MessageStop) for e in events), events
    else:
        assert isinstance(last, br.BedrockException), last


@SWEEP
@given(st.binary(max_size=400), st.sampled_from(["converse", "invoke"]), st.integers(1, 64))
@example(b"data: " + deep(10_000) + b"\n\n", "converse", 64)
@example(b"event: error\ndata: {}\n\n", "converse", 1)
@example(b'data: {"type":"message_stop"}\n\n', "converse", 7)
def test_translate_readers_take_arbitrary_bytes(data: bytes, stream: str, size: int) -> None:
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    anthropic = _read_anthropic(pieces, stream)
    openai = _read_openai(pieces, stream)
    if stream == "converse":
        _ends_closed(anthropic)
        _ends_closed(openai)


@SWEEP
@given(st.sampled_from(range(len(_SAMPLES))), st.data())
def test_translate_readers_cut_valid_bodies_fail_closed(which: int, data: st.DataObject) -> None:
    body = ANTHROPIC_BODIES[which]
    cut = data.draw(st.integers(0, len(body)))
    events, refused = _read_anthropic([body[:cut]], "converse")
    _ends_closed((events, refused))
    if isinstance(events[-1], br.Metadata):
        # Whole only once message_stop's event is: the blank line after it included.
        end = body.index(b"\n\n", body.index(b'"type":"message_stop"')) + 2
        assert cut >= end, (cut, end)
    body = OPENAI_BODIES[which]
    cut = data.draw(st.integers(0, len(body)))
    _ends_closed(_read_openai([body[:cut]], "converse"))


@SWEEP
@given(st.sampled_from(range(len(_SAMPLES))), st.data())
def test_translate_readers_damaged_valid_bodies(which: int, data: st.DataObject) -> None:
    anthropic = data.draw(damaged(ANTHROPIC_BODIES[which]))
    openai = data.draw(damaged(OPENAI_BODIES[which]))
    for stream in ("converse", "invoke"):
        read_anthropic = _read_anthropic([anthropic], stream)
        read_openai = _read_openai([openai], stream)
        if stream == "converse":
            _ends_closed(read_anthropic)
            _ends_closed(read_openai)


def _round_trip_out(events: list[br.TypedEvent]) -> None:
    # What was read goes out again, both ways: a gateway's path.
    for translator in (
        translate.BedrockToAnthropic(model="m"),
        translate.BedrockToOpenAI(model="m"),
    ):
        for event in events:
            ours(translator.feed, event)
        ours(translator.close)


@HEAVY
@given(st.lists(_anthropic_shaped(), max_size=6), st.sampled_from(["converse", "invoke"]))
def test_anthropic_reader_hostile_json_events(values: list[dict[str, Any]], stream: str) -> None:
    reader = translate.AnthropicToBedrock(stream)  # type: ignore[arg-type]
    events: list[br.TypedEvent] = []
    for value in values:
        events.extend(ours(reader.feed, copy.deepcopy(value)) or [])
    events.extend(reader.close())
    # The same values as SSE bytes, through the decoder.
    body = b"".join(_sse(v, v["type"] if isinstance(v["type"], str) else None) for v in values)
    _read_anthropic([body], stream)
    _round_trip_out(events)


@HEAVY
@given(st.lists(_openai_shaped(), max_size=6), st.sampled_from(["converse", "invoke"]))
def test_openai_reader_hostile_json_chunks(values: list[dict[str, Any]], stream: str) -> None:
    reader = translate.OpenAIToBedrock(stream)  # type: ignore[arg-type]
    events: list[br.TypedEvent] = []
    for value in values:
        events.extend(ours(reader.feed, copy.deepcopy(value)) or [])
    events.extend(reader.close())
    _read_openai([b"".join(_sse(v) for v in values) + b"data: [DONE]\n\n"], stream)
    _round_trip_out(events)


_CITATION_KEYS = [
    "type", "cited_text", "title", "document_title", "document_index", "url", "source",
    "search_result_index", "start_block_index", "end_block_index", "start_char_index",
    "end_char_index", "start_page_number", "end_page_number", "encrypted_index",
    "char_location", "page_location", "content_block_location",
    "web_search_result_location", "search_result_location",
]  # fmt: skip


@HEAVY
@given(st.dictionaries(st.sampled_from(_CITATION_KEYS), hostile_json(_CITATION_KEYS)))
def test_citations_both_ways_take_hostile_objects(citation: dict[str, Any]) -> None:
    converse = ours(translate.converse_citation, citation)
    if converse is not None:
        anthropic = translate.anthropic_citation(converse)
        assert isinstance(anthropic["type"], str)
        again = translate.converse_citation(anthropic)
        assert again.location == converse.location or converse.location is None
        br.encode_event(br.ContentBlockDelta(content_block_index=0, delta=converse)).encode()


_STATUSES = st.one_of(
    st.none(), st.integers(-(10**30), 10**30), st.sampled_from([0, 200, 401, 402, 413, 424, 529]),
    st.sampled_from([10**400, -(10**400)]), st.floats(allow_nan=True), st.booleans(),
)  # fmt: skip
_ERROR_BODIES = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=100),
    hostile_json(["error", "type", "message", "code", "param", "status"]),
    st.just(deep(10_000)),
    st.just(b'{"error":{"type":"api_error","message":"' + b"m" * 100 + b'"}}'),
)


@SWEEP
@given(_STATUSES, _ERROR_BODIES)
@example(529, b'{"error": {"type": NaN}}')
@example(200, b"\xff\xfe\x00")
def test_error_readers_take_any_status_and_body(status: Any, body: Any) -> None:
    for read, write in ((translate.from_anthropic_error, translate.anthropic_error),
                        (translate.from_openai_error, translate.openai_error)):  # fmt: skip
        exception = ours(read, status, body)
        if exception is not None:
            assert isinstance(exception, br.BedrockException)
            written_status, written = write(exception)
            assert isinstance(written_status, int)
            json.dumps(written)
            for stream in ("converse", "invoke"):
                assert isinstance(translate.in_stream(exception, stream), br.BedrockException)
            br.encode_event(exception).encode()  # a frame a gateway can send


def test_error_readers_of_a_body_nested_10_000_deep() -> None:
    body = deep_object(10_000)
    for read in (translate.from_anthropic_error, translate.from_openai_error):
        for status in (None, 400, 529):
            assert isinstance(ours(read, status, body), br.BedrockException)


def test_error_reader_of_a_10_mb_message_is_bounded() -> None:
    body = b'{"error":{"type":"api_error","message":"' + b"a" * (10 << 20) + b'"}}'
    exception = translate.from_anthropic_error(500, body)
    assert len(exception.message) == 10 << 20


def test_sse_readers_refuse_a_10_mb_line_within_bounded_memory() -> None:
    # A 10 MB data line: refused at the SSE decoder's line limit, not buffered whole.
    def feed_10_mb(reader: translate.AnthropicToBedrock | translate.OpenAIToBedrock) -> None:
        reader.feed_bytes(b"data: ")
        piece = b"a" * (64 << 10)
        for _ in range(160):
            reader.feed_bytes(piece)

    for reader in (translate.AnthropicToBedrock(), translate.OpenAIToBedrock()):
        tracemalloc.start()
        try:
            with pytest.raises(es.EventStreamError):
                feed_10_mb(reader)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 8 << 20, peak
        assert isinstance(reader.close()[-1], br.BedrockException)


# One valid frame from upstream: a throttlingException whose message is "\ud800" (valid JSON,
# a lone surrogate once parsed). Bedrock's reader keeps the message as it came.
_SURROGATE_EXCEPTION = es.Message(
    {":message-type": "exception", ":exception-type": "throttlingException",
     ":content-type": "application/json"},
    b'{"message":"\\ud800"}',
).encode()  # fmt: skip


@pytest.mark.parametrize(
    "respond",
    [translate.anthropic_error_response, translate.openai_error_response, br.error_response],
    ids=["anthropic", "openai", "bedrock"],
)
def test_error_responses_of_an_exception_with_a_lone_surrogate(respond: Any) -> None:
    # Found by this file (UnicodeEncodeError); fixed in f893884.
    (exception,) = br.events(_SURROGATE_EXCEPTION, stream="converse", raise_exceptions=False)
    for upstream in (
        exception,
        translate.from_anthropic_error(429, b'{"error":{"message":"\\ud800"}}'),
    ):
        reply = respond(upstream)
        json.loads(reply.body.decode("utf-8"))  # UTF-8 JSON a client reads


@pytest.mark.parametrize("to", ["anthropic", "openai"])
def test_translated_exception_with_a_lone_surrogate_still_fails_the_stream(to: str) -> None:
    events = list(br.events(_SURROGATE_EXCEPTION, stream="converse", raise_exceptions=False))
    translated = (
        translate.to_anthropic(events) if to == "anthropic" else translate.to_openai(events)
    )
    # Found by this file (an empty stream: fail-open); fixed in f893884.
    body = b"".join(translated)
    assert b'"error"' in body, body
    body.decode("utf-8")


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: translate.AnthropicToBedrock("nope"), id="stream-name"),
        pytest.param(lambda: translate.OpenAIToBedrock(None), id="stream-none"),  # type: ignore[arg-type]
        pytest.param(lambda: translate.OpenAIToBedrock([]), id="stream-list"),  # type: ignore[arg-type]
    ],
)
def test_translate_wrong_arguments_that_hold(call: Callable[[], Any]) -> None:
    with pytest.raises(es.EventStreamError):
        call()


_TRANSLATE_WRONG_TYPES = {
    "AnthropicToBedrock.feed(None)": lambda: translate.AnthropicToBedrock().feed(None),
    "AnthropicToBedrock.feed([])": lambda: translate.AnthropicToBedrock().feed([]),
    "AnthropicToBedrock.feed_bytes(str)": lambda: translate.AnthropicToBedrock().feed_bytes(
        "data: {}\n\n"
    ),
    "AnthropicToBedrock.feed_bytes(None)": lambda: translate.AnthropicToBedrock().feed_bytes(None),
    "OpenAIToBedrock.feed(None)": lambda: translate.OpenAIToBedrock().feed(None),
    "OpenAIToBedrock.feed_sse(None)": lambda: translate.OpenAIToBedrock().feed_sse(None),
    "from_anthropic(None)": lambda: list(translate.from_anthropic(None)),
    "from_anthropic([str])": lambda: list(translate.from_anthropic(["data: {}\n\n"])),
    "from_openai([None])": lambda: list(translate.from_openai([None])),
    "to_anthropic(None)": lambda: list(translate.to_anthropic(None)),
    "from_anthropic_error('abc', b'')": lambda: translate.from_anthropic_error("abc", b""),
    "from_openai_error('abc', b'')": lambda: translate.from_openai_error("abc", b""),
    "from_openai_error([], b'')": lambda: translate.from_openai_error([], b""),
    "stop_from_openai([])": lambda: translate.stop_from_openai([]),
    "in_stream(None, 'converse')": lambda: translate.in_stream(None, "converse"),
    "in_stream(exc, 'nope')": lambda: translate.in_stream(br.ThrottlingException("x"), "nope"),
    "anthropic_error(None)": lambda: translate.anthropic_error(None),
    "converse_citation(None)": lambda: translate.converse_citation(None),
}


@pytest.mark.parametrize("name", sorted(_TRANSLATE_WRONG_TYPES))
def test_translate_wrong_argument_types(name: str) -> None:
    # Found by this file; fixed in 87fb6b5 (InputTypeError, as the codec's).
    with pytest.raises(es.EventStreamError):
        _TRANSLATE_WRONG_TYPES[name]()


# --- time bounded by the input: many small pieces of one block ----------------------------


def _seconds_for(make: Callable[[], Any], delta: Any, count: int) -> float:
    """The best of three runs: ``count`` copies of ``delta`` in one block, fed to ``make()``."""
    best = float("inf")
    for _ in range(3):
        consumer = make()
        feed = consumer.feed if hasattr(consumer, "feed") else consumer.add
        event = br.ContentBlockDelta(content_block_index=0, delta=delta)
        start = time.perf_counter()
        feed(br.MessageStart(role="assistant"))
        for _ in range(count):
            feed(event)
        feed(br.ContentBlockStop(content_block_index=0))
        if hasattr(consumer, "result"):
            consumer.result()
        best = min(best, time.perf_counter() - start)
    return best


_R = br.ReasoningContentDelta
_PIECES = {
    "BedrockToAnthropic text": (translate.BedrockToAnthropic, br.TextDelta(text="s" * 1000)),
    "BedrockToAnthropic signature": (
        translate.BedrockToAnthropic,
        _R(text="a", signature="s" * 1000),
    ),
    "Reassembler text": (br.Reassembler, _R(text="s" * 1000)),
    "Reassembler tool input": (br.Reassembler, br.ToolUseDelta(input="s" * 1000)),
    # Found by this file (quadratic: 8,000 pieces of 1 KB took 3-19 s); fixed in a7d91dc.
    "BedrockToAnthropic redacted": (translate.BedrockToAnthropic, _R(redacted_content=b"x" * 1000)),
    "BedrockToOpenAI redacted": (translate.BedrockToOpenAI, _R(redacted_content=b"x" * 1000)),
    "BedrockToOpenAI signature": (translate.BedrockToOpenAI, _R(signature="s" * 1000)),
    # Found by this file (8,000 pieces of 1 KB: 3 s); the Reassembler lists them now.
    "Reassembler redacted": (br.Reassembler, _R(redacted_content=b"x" * 1000)),
    "Reassembler signature": (br.Reassembler, _R(signature="s" * 1000)),
}


def _check_linear(make: Callable[[], Any], delta: Any) -> None:
    # Four times the pieces, about four times the time (h2 #474): a quadratic join is 16
    # times and more (20-40 measured), whatever the machine's load does to both.
    small, large = _seconds_for(make, delta, 500), _seconds_for(make, delta, 2000)
    assert large < 12 * small, f"{large:.3f} s for 2,000 pieces, {small:.3f} s for 500"


@pytest.mark.parametrize("name", sorted(_PIECES))
def test_many_pieces_of_one_block_take_linear_time(name: str) -> None:
    _check_linear(*_PIECES[name])


def _seconds_to_trickle(length: int, line: int) -> float:
    """The best of three: ``length`` bytes of SSE data, 20 a feed, a line end every
    ``line`` bytes, through an Anthropic reader (its SSE decoder)."""
    piece, ending = b"a" * 20, b"a" * 19 + b"\n"
    every = line // 20
    best = float("inf")
    for _ in range(3):
        reader = translate.AnthropicToBedrock()
        start = time.perf_counter()
        reader.feed_bytes(b": ")  # a comment: its lines are read and dropped
        for number in range(length // 20):
            reader.feed_bytes(ending if number % every == every - 1 else piece)
        best = min(best, time.perf_counter() - start)
    return best


def _check_trickle_linear(line: int) -> None:
    small, large = _seconds_to_trickle(100_000, line), _seconds_to_trickle(800_000, line)
    # Eight times the bytes: about eight times the time (a rescan per feed is 30 and more).
    assert large < 16 * small, f"{large:.3f} s for 800 kB, {small:.3f} s for 100 kB"


def test_sse_lines_trickled_in_take_linear_time() -> None:
    _check_trickle_linear(1000)


def test_one_long_sse_line_trickled_in() -> None:
    # Found by this file: eventstream.sse.SSEDecoder._feed looks for the line end from the start
    # of the unfinished line on every feed (buffer.find from 0, and the CR search over the whole
    # buffer): one long line trickled in is quadratic; a 1 MiB line (under max_line_length) one
    # byte a feed took 12.7 s (0.14 s for 100 kB); fixed in 9b4c725.
    _check_trickle_linear(1 << 30)


# ============================================================================================
# eventstream.bedrock families: chunk_events, detect_family, ChunkReader, Reassembler
# ============================================================================================

_M = {"inputTokenCount": 12, "outputTokenCount": 3, "invocationLatency": 400,
      "firstByteLatency": 90}  # fmt: skip
_INV = "amazon-bedrock-invocationMetrics"
#: One stream per family, from each family's published chunk format (docs/bedrock.md).
FAMILY_STREAMS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "anthropic": ("anthropic.claude-x", [
        {"type": "message_start", "message": {"id": "m", "model": "c", "role": "assistant",
                                               "usage": {"input_tokens": 5, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "input_json_delta", "partial_json": '{"q":1}'}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "redacted_thinking", "data": "AAEC"}},
        {"type": "content_block_delta", "index": 2, "delta": {"type": "citations_delta",
         "citation": {"type": "char_location", "cited_text": "x", "start_char_index": 0}}},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"},
         "usage": {"output_tokens": 3}},
        {"type": "message_stop", _INV: _M},
    ]),
    "nova": ("amazon.nova-lite-v1:0", [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"delta": {"text": "Par"}, "contentBlockIndex": 0}},
        {"contentBlockStart": {"start": {"toolUse": {"toolUseId": "t", "name": "map"}},
                               "contentBlockIndex": 1}},
        {"contentBlockDelta": {"delta": {"toolUse": {"input": "{}"}}, "contentBlockIndex": 1}},
        {"contentBlockStop": {"contentBlockIndex": 1}},
        {"messageStop": {"stopReason": "tool_use"}},
        {"metadata": {"usage": {"inputTokens": 12, "outputTokens": 3}, "metrics": {}}, _INV: _M},
    ]),
    "llama": ("meta.llama3-1-8b-instruct-v1:0", [
        {"generation": "Hi", "prompt_token_count": 12, "generation_token_count": 1,
         "stop_reason": None},
        {"generation": "", "generation_token_count": 3, "stop_reason": "length", _INV: _M},
    ]),
    "mistral": ("mistral.mistral-large-2407-v1:0", [
        {"outputs": [{"text": "Bonjour", "stop_reason": None}]},
        {"choices": [{"index": 0, "message": {"role": "assistant", "content": "", "tool_calls": [
            {"id": "a", "function": {"name": "f", "arguments": '{"q": "x"}'}}]},
            "stop_reason": "tool_calls"}], _INV: _M},
    ]),
    "ai21": ("ai21.jamba-1-5-mini-v1:0", [
        {"id": "c", "choices": [{"index": 0, "delta": {"role": "assistant"},
                                 "finish_reason": None}],
         "usage": {"prompt_tokens": 12, "total_tokens": 12, "completion_tokens": 0}},
        {"id": "c", "choices": [{"index": 0, "delta": {"content": "S"}, "finish_reason": "length"}],
         "usage": {"prompt_tokens": 12, "total_tokens": 15, "completion_tokens": 3}, _INV: _M},
    ]),
    "cohere": ("cohere.command-r-plus-v1:0", [
        {"is_finished": False, "event_type": "text-generation", "text": "I will "},
        {"is_finished": False, "event_type": "tool-calls-generation", "text": "x",
         "tool_calls": [{"name": "s", "parameters": {"query": "tides"}}]},
        {"is_finished": True, "event_type": "stream-end", "finish_reason": "COMPLETE",
         "response": {"meta": {"billed_units": {"input_tokens": 12, "output_tokens": 3}}},
         _INV: _M},
    ]),
    "openai": ("openai.gpt-oss-20b-1:0", [
        {"id": "c", "model": "o", "choices": [{"index": 0, "delta": {
            "role": "assistant", "reasoning_content": "Two."}, "finish_reason": None}]},
        {"id": "c", "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "a", "function": {"name": "w", "arguments": '{"c":'}}]},
            "finish_reason": None}]},
        {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}],
         "usage": {"prompt_tokens": 52, "completion_tokens": 3, "total_tokens": 55,
                   "prompt_tokens_details": {"cached_tokens": 40}}, _INV: _M},
    ]),
    "deepseek": ("deepseek.r1-v1:0", [
        {"choices": [{"text": "<think>a</think>", "stop_reason": None}]},
        {"choices": [{"text": "4", "stop_reason": "stop"}], _INV: _M},
    ]),
    "titan": ("amazon.titan-text-express-v1", [
        {"outputText": "Hi", "index": 0, "inputTextTokenCount": 12,
         "totalOutputTextTokenCount": 1, "completionReason": None},
        {"outputText": "", "index": 0, "totalOutputTextTokenCount": 3,
         "completionReason": "FINISH", _INV: _M},
    ]),
}  # fmt: skip


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    value = copy.deepcopy(value)
    node = value
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return value


_REPLACEMENTS = st.one_of(
    HOSTILE_SCALARS,
    st.just([]),
    st.just({}),
    st.just([None]),
    st.just({"type": "text"}),
    st.just([[{}]]),
    st.just(deep_object(50)),
)


@st.composite
def hostile_family_streams(draw: st.DrawFn) -> tuple[str, str, list[Any]]:
    """A family's stream with 1-3 values anywhere in it replaced by hostile ones."""
    family = draw(st.sampled_from(sorted(FAMILY_STREAMS)))
    model_id, bodies = FAMILY_STREAMS[family]
    bodies = copy.deepcopy(bodies)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(bodies) - 1))
        path = draw(st.sampled_from(list(_paths(bodies[at]))))
        new = draw(_REPLACEMENTS)
        bodies[at] = _replace(bodies[at], path, new)
    if draw(st.booleans()):
        bodies = bodies[: draw(st.integers(0, len(bodies)))]  # cut: no end
    return family, model_id, bodies


def _reassemble_chunks(bodies: list[Any], **kwargs: Any) -> br.Reassembled:
    reassembler = br.Reassembler(**kwargs)
    for body in bodies:
        reassembler.add(br.Chunk(bytes=json.dumps(body).encode()))
    result = reassembler.result()
    result.rows()
    result.to_converse()
    result.to_anthropic()
    return result


@SWEEP
@given(hostile_family_streams(), st.booleans())
def test_families_read_hostile_chunk_json(
    drawn: tuple[str, str, list[Any]], with_model_id: bool
) -> None:
    family, model_id, bodies = drawn
    model = model_id if with_model_id else None
    reader = br.ChunkReader("auto", model_id=model)
    for body in bodies:
        br.detect_family(body)
        ours(br.chunk_events, family, body)
        ours(br.chunk_events, "auto", body)
        ours(reader.read, body)
        _ = reader.usage, reader.metrics, reader.ended
    result = _reassemble_chunks(bodies, model_id=model)
    if not any(_INV in b for b in bodies if isinstance(b, dict)) and family != "nova":
        # Without the end (Bedrock's metrics, or Nova's metadata) the answer is not whole.
        assert not result.complete
    # A gateway translating the same chunks.
    events = [br.Chunk(bytes=json.dumps(b).encode()) for b in bodies]
    for translator in (translate.BedrockToAnthropic(model=model or ""),
                       translate.BedrockToOpenAI(model=model or "")):  # fmt: skip
        for event in events:
            ours(translator.feed, event)
        ours(translator.close)


@SWEEP
@given(st.binary(max_size=200), st.sampled_from([*sorted(FAMILY_STREAMS), "auto"]))
@example(deep(10_000, b'{"a":'), "auto")
@example(b'{"type":"message_start","message":{"id":"' + b"i" * 1000 + b'"}}', "anthropic")
def test_reassembler_takes_arbitrary_chunk_bytes(data: bytes, family: str) -> None:
    reassembler = br.Reassembler(family)  # type: ignore[arg-type]
    reassembler.add(br.Chunk(bytes=data))
    reassembler.add(br.Chunk(bytes=None))
    assert not reassembler.result().complete or data.strip().startswith(b"{")


@pytest.mark.parametrize("kind", [[], {}, ["message_start"]], ids=["list", "object", "list1"])
@pytest.mark.parametrize(
    "entry",
    ["detect_family", "chunk_events", "ChunkReader", "Reassembler", "BedrockToAnthropic",
     "BedrockToOpenAI", "reassemble"],
)  # fmt: skip
def test_family_detection_of_an_unhashable_type(kind: Any, entry: str) -> None:
    # Found by this file (TypeError: unhashable type); fixed in b362f9b.
    body = {"type": kind}
    chunk = br.Chunk(bytes=json.dumps(body).encode())
    calls: dict[str, Callable[[], Any]] = {
        "detect_family": lambda: br.detect_family(body),
        "chunk_events": lambda: br.chunk_events("auto", body),
        "ChunkReader": lambda: br.ChunkReader().read(body),
        "Reassembler": lambda: br.Reassembler().add(chunk),
        "BedrockToAnthropic": lambda: translate.BedrockToAnthropic().feed(chunk),
        "BedrockToOpenAI": lambda: translate.BedrockToOpenAI().feed(chunk),
        "reassemble": lambda: br.reassemble([chunk]),
    }
    ours(calls[entry])


def _unhashable_type_file(tmp_path: Path) -> Path:
    path = tmp_path / "chunk-type-list.bin"
    path.write_bytes(br.encode_event(br.Chunk(bytes=b'{"type":[]}')).encode())
    return path


@pytest.mark.parametrize("flags", [["--bedrock"], ["--to", "anthropic"], ["--to", "openai"]])
def test_cli_decode_of_a_chunk_with_an_unhashable_type(tmp_path: Path, flags: list[str]) -> None:
    # One valid frame, 174 bytes: a traceback before b362f9b.
    code, _ = _decode_cli(_unhashable_type_file(tmp_path), flags)
    assert code in (0, 1, 3)


# ============================================================================================
# eventstream.mock: the fault grammar, request heads, scripts, recordings, the server
# ============================================================================================

_FAULT_PIECES = st.sampled_from(
    [*mock.FAULT_KINDS, "=", "@", ":", ",", ";", "%", "%2C", "%3B", "%00", "%ff", " ",
     "message=", "seed=", "max=", "by=", "type=", "name=", "original-status=", "code=",
     "forever", "json", "length", "random", "-", "1", "0", "429", "1e309", "nan", "inf",
     "throttlingException", "modelStreamErrorException", "\x00", "\n"]
)  # fmt: skip
_ASCII_DIGITS = st.text("0123456789", min_size=1, max_size=30)
_SPECS = st.one_of(
    st.text(max_size=40),
    # Every character str.isdigit() takes (superscripts, Arabic-Indic, ...), as numbers.
    st.text("".join(c for c in map(chr, range(0x3000)) if c.isdigit()), min_size=1, max_size=8).map(
        lambda digits: f"cut@{digits}:1"
    ),
    st.lists(_FAULT_PIECES | _ASCII_DIGITS, max_size=12).map("".join),
)

_VALID_FAULTS = st.sampled_from(
    ["exception=throttlingException", "exception=modelStreamErrorException,original-status=999,"
     "original-message=%00", "error-frame,code=%00,message=%ff", "cut@{n}:1", "cut@{n}:999999999",
     "disconnect@{n}", "corrupt=prelude-crc@{n}", "corrupt=message-crc@{n}",
     "corrupt=length@{n},by=-1048576", "corrupt=length@{n},by=1048576", "fragment=bytes",
     "fragment=random,seed={n},max=1", "stall=0@{n}", "unknown-event@{n},name=%ff",
     "violation=duplicate-start@{n}", "violation=delta-before-start@{n}",
     "violation=missing-stop@{n}", "http=599,type=throttlingException,message=%00",
     "body=json", "body=html,message=%ff", "body=sse"]
)  # fmt: skip


@SWEEP
@given(_SPECS)
@example("cut@1:0")
@example("stall=-0")
@example("fragment=random,max=" + "9" * 30)
@example("http=599,type=%00")
def test_parse_faults_takes_any_spec(spec: str) -> None:
    faults = ours(mock.parse_faults, spec)
    if faults is not None:
        # What parses reads back to the same faults (the header carries format_faults).
        assert mock.parse_faults(mock.format_faults(faults)) == faults
        for fault in faults:
            _ = fault.seconds if fault.kind == "stall" else None


@pytest.mark.parametrize(
    "spec",
    ["cut@²:1", "cut@1:²", "http=²00", "http=%C2%B2", "fragment=random,seed=%C2%B2",
     "fragment=random,max=%C2%B2", "corrupt=length,by=%C2%B2", "cut@" + "9" * 5000 + ":1",
     "http=" + "9" * 5000, "fragment=random,seed=" + "9" * 5000],
    ids=lambda s: s[:24],
)  # fmt: skip
def test_parse_faults_number_escapes(spec: str) -> None:
    # Found by this file: mock._faults: str.isdigit() accepts Unicode digits ('²') and numbers
    # past int()'s 4300 digits, then int() raises ValueError (_number, Fault._check_value http,
    # Fault._integer); the header reaches it percent-encoded; fixed in 6af7021.
    with pytest.raises(mock.FaultSpecError):
        mock.parse_faults(spec)


@pytest.fixture
def collect_leaks() -> Iterator[None]:
    """Collect, with ResourceWarning ignored, the sockets ``socket.create_server`` leaks when
    ``bind()`` raises something other than OSError (a port out of range): in this test,
    not as a warning (an error here) in a later one."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _started(**kwargs: Any) -> None:
    server = mock.MockServer(**kwargs)
    try:
        server.start()
    finally:
        server.stop(timeout=1.0)


_RNG = random.Random(0)
_MOCK_WRONG_TYPES: dict[str, Callable[[], Any]] = {
    "parse_faults(None)": lambda: mock.parse_faults(None),  # type: ignore[arg-type]
    "parse_faults(bytes)": lambda: mock.parse_faults(b"cut@1:1"),  # type: ignore[arg-type]
    "as_faults(5)": lambda: mock.as_faults(5),  # type: ignore[arg-type]
    "Fault('http', None)": lambda: mock.Fault("http", None),  # type: ignore[arg-type]
    "Fault('http', 500)": lambda: mock.Fault("http", 500),  # type: ignore[arg-type]
    "Fault('http', '500', options=None)": lambda: mock.Fault("http", "500", options=None),  # type: ignore[arg-type]
    "Fault('corrupt', 'length', options={'by': 5})": lambda: mock.Fault(
        "corrupt",
        "length",
        options={"by": 5},  # type: ignore[dict-item]
    ),
    "MockServer([None])": lambda: mock.MockServer([None]),  # type: ignore[list-item]
    "MockServer(script='x')": lambda: mock.MockServer(script="x").responses.next(  # type: ignore[arg-type]
        "converse", mock.Timing(), _RNG
    ),
    "MockServer(faults=5)": lambda: mock.MockServer(faults=5),  # type: ignore[arg-type]
    "MockServer(journal=5)": lambda: mock.MockServer(journal=5),  # type: ignore[arg-type]
    "MockServer(seed=[])": lambda: mock.MockServer(seed=[]),  # type: ignore[arg-type]
    "MockServer(port='x').start()": lambda: _started(port="x"),
    "MockServer(port=10**6).start()": lambda: _started(port=10**6),
    "Script(text=None).messages": lambda: mock.Script(text=None).messages(  # type: ignore[arg-type]
        "converse", mock.Timing(), _RNG
    ),
    "Script(tool_calls=None)": lambda: mock.Script(tool_calls=None),  # type: ignore[arg-type]
    "stream_of([None])": lambda: mock.stream_of([None]),  # type: ignore[list-item]
    "plan_stream(2 frames, 1 delay)": lambda: mock.plan_stream([], [1.0], "converse"),
    "plan_error(None)": lambda: mock.plan_error(None),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("name", sorted(_MOCK_WRONG_TYPES))
@pytest.mark.usefixtures("collect_leaks")
def test_mock_wrong_argument_types(name: str) -> None:
    # Found by this file: mock: wrong argument types escape as
    # AttributeError/TypeError/ValueError/OverflowError (parse_faults, as_faults, Fault,
    # MockServer's captures/script/faults/journal/seed/port, Script, stream_of, plan_stream's
    # zip(strict=True), plan_error); fixed in 6af7021.
    try:
        _MOCK_WRONG_TYPES[name]()
    except es.EventStreamError:
        return
    except Exception as exc:
        shown = "".join(traceback.format_exception(exc))
    else:
        shown = "nothing was raised"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # create_server's leak (port)
        gc.collect()
    pytest.fail(shown)


@pytest.mark.parametrize(
    "call",
    [str, lambda f: mock.format_faults([f]),
     lambda f: mock.plan_stream([], [], "converse", [f]).body],
    ids=["str", "format_faults", "plan_stream"],
)  # fmt: skip
def test_fault_option_with_a_lone_surrogate(call: Callable[[mock.Fault], Any]) -> None:
    # Found by this file (UnicodeEncodeError in str(fault), format_faults and plan_stream);
    # since 54f1f80 such a fault is refused when built.
    fault = ours(mock.Fault, "exception", "throttlingException", options={"message": "\ud800"})
    if fault is not None:
        ours(call, fault)


@pytest.mark.parametrize(
    "timing",
    [{"first_event": float("inf")}, {"events_per_second": 1e-300}, {"speed": 1e-300}],
    ids=["first-event-inf", "rate-1e-300", "speed-1e-300"],
)
def test_timing_that_claims_for_ever(timing: dict[str, float]) -> None:
    # Found by this file: mock.Timing takes first_event=inf (and events_per_second=1e-300: gaps of
    # 1e300 s): every response then stalls for ever; `eventstream serve --first-event inf` serves
    # so; fixed in 6af7021.
    made = ours(mock.Timing, **timing)
    delays = made.delays(3, [1.0], random.Random(0)) if made is not None else []
    delays += made.delays(3, None, random.Random(0)) if made is not None else []
    assert all(d <= 3600 for d in delays), delays


_TOKENS = st.text("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                  min_size=1, max_size=20)  # fmt: skip
# Any byte but white space in the target (non-ASCII ones escaped parse_head before 6af7021).
_TARGETS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0xFF), min_size=1,
                   max_size=40)  # fmt: skip


@st.composite
def request_heads(draw: st.DrawFn, target: st.SearchStrategy[str] = _TARGETS) -> bytes:
    """HTTP request heads, near enough to valid to pass the first checks."""
    method = draw(st.sampled_from(["POST", "GET", "PUT", "post", "P0ST", ""]))
    version = draw(st.sampled_from(["1.1", "1.0", "2.0", "1.1 ", "1"]))
    lines = [f"{method} {draw(target)} HTTP/{version}".encode("latin-1", "replace")]
    names = st.sampled_from(
        ["Host", "Content-Length", "content-length", "Transfer-Encoding", "Connection",
         "Expect", mock.FAULT_HEADER, "X-Other"]
    ) | _TOKENS  # fmt: skip
    for _ in range(draw(st.integers(0, 6))):
        name = draw(names).encode()
        value = draw(st.binary(max_size=20) | _ASCII_DIGITS.map(str.encode))
        lines.append(name + draw(st.sampled_from([b": ", b":", b" : ", b""])) + value)
    return b"\r\n".join(lines)


@SWEEP
@given(request_heads() | st.binary(max_size=200))
@example(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + b"9" * 13)
@example(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2")
@example(b"POST / HTTP/1.1\r\n" + b"X: y\r\n" * 101)
@example(b"POST /" + b"a" * (65 << 10) + b" HTTP/1.1")
def test_parse_head_takes_any_head(head: bytes) -> None:
    request = ours(mock.parse_head, head)
    if request is not None:
        assert 0 <= request.content_length <= mock.MAX_BODY_BYTES
        assert isinstance(request.keep_alive, bool)
        assert all(name == name.lower() for name, _ in request.headers)


@pytest.mark.parametrize(
    "head", [b"POST /model/\xff/converse HTTP/1.1\r\nHost: x", b"GET /\xc3\xa9 HTTP/1.1"]
)
def test_parse_head_non_ascii_target(head: bytes) -> None:
    # Found by this file: mock._http.parse_head: the request line regex `\\S+` takes non-ASCII
    # bytes, then match[2].decode('ascii') raises UnicodeDecodeError; fixed in 6af7021.
    with pytest.raises(mock.BadRequest):
        mock.parse_head(head)


@pytest.mark.parametrize("head", ["GET / HTTP/1.1\r\nHost: x", None])
def test_parse_head_wrong_types(head: Any) -> None:
    # Found by this file: mock.parse_head: a str or None head escapes as TypeError; fixed in
    # 6af7021.
    with pytest.raises(es.EventStreamError):
        mock.parse_head(head)


_SCRIPT_KEYS = ["text", "tool_calls", "delta_size", "stop_reason", "input_tokens", "model",
                "name", "input"]  # fmt: skip


@SWEEP
@given(
    st.dictionaries(st.sampled_from(_SCRIPT_KEYS), hostile_json(_SCRIPT_KEYS), max_size=6)
    | hostile_json(_SCRIPT_KEYS)
)
@example({"delta_size": 10**30, "text": "x"})
@example({"tool_calls": [{"name": "f", "input": {"a": [1e308, -0.0]}}]})
def test_script_from_json_takes_any_json(document: Any) -> None:
    script = ours(mock.script_from_json, document, "script.json")
    if script is not None:
        rng = random.Random(0)
        for stream in ("converse", "invoke"):
            messages = ours(script.messages, stream, mock.Timing(), rng)
            for message in messages or ():
                br.decode_event(message)


@pytest.mark.parametrize(
    "document",
    [{"tool_calls": [{"name": "\udc00", "input": {}}]}, {"model": "\ud800"},
     {"tool_calls": [{"name": "f", "input": {"k": "\ud800"}}]}],
    ids=["tool-name", "model", "tool-input"],
)  # fmt: skip
def test_script_with_a_lone_surrogate(document: dict[str, Any]) -> None:
    # Found by this file: mock.Script.messages: a lone surrogate (valid JSON '\\ud800') in a tool
    # name, tool input or model raises UnicodeEncodeError in _json(...).encode(); the server
    # thread dies on it; fixed in 6af7021.
    script = mock.script_from_json(json.loads(json.dumps(document)), "script.json")
    for stream in ("converse", "invoke"):
        ours(script.messages, stream, mock.Timing(), random.Random(0))


def test_script_with_a_count_past_int_max_str_digits() -> None:
    # Found by this file: mock.Script.messages('invoke'): input_tokens=10**5000 raises ValueError
    # (int max str digits) from json.dumps in mock._script._json; on 'converse' it is EncodeError;
    # fixed in 6af7021.
    script = mock.Script(input_tokens=10**5000)
    ours(script.messages, "invoke", mock.Timing(), random.Random(0))


def test_script_with_a_deep_tool_input() -> None:
    # Found by this file: mock.Script.messages: a tool input nested 10,000 deep (built in Python)
    # raises RecursionError in json.dumps; fixed in 6af7021.
    script = mock.Script(tool_calls=(mock.ToolCall("f", deep_object(10_000)),))
    ours(script.messages, "invoke", mock.Timing(), random.Random(0))


_RECORDINGS = [
    sample_bytes("claude_invoke_tool_use"),
    sample_bytes("converse_tool_use"),
    (DATA / "invoke.mitmproxy.har").read_bytes(),
]


@SWEEP
@given(st.sampled_from(range(len(_RECORDINGS))).flatmap(lambda i: damaged(_RECORDINGS[i]))
       | st.binary(max_size=300))  # fmt: skip
@example(deep(10_000))
@example(deep(10_000, b'{"log":'))
@example(b'{"log": {"entries": [{"response": {"content": 5}, "timings": {"wait": "x"}}]}}')
@example(b'{"frame": 0}\n' * 3)
def test_load_recordings_takes_damaged_captures(data: bytes) -> None:
    recordings = ours(mock.load_recordings, data, "capture")
    for recording in recordings or ():
        assert recording.stream in ("converse", "invoke", None)
        assert all(d >= 0 for d in recording.delays or ())


@pytest.mark.parametrize("wait", [b"1e400", b"1e300"])
def test_load_recordings_har_timing_claims(wait: bytes) -> None:
    # Found by this file: mock.load_recordings: a HAR entry's timings.wait of 1e400 (json.loads
    # reads it as inf) becomes a recorded delay of inf s: the server then stalls that response for
    # ever (MockServer._wait with an infinite deadline); fixed in 6af7021.
    har = (DATA / "invoke.mitmproxy.har").read_bytes()
    har = har.replace(b'"wait": ', b'"wait": ' + wait + b', "was": ', 1)
    recordings = ours(mock.load_recordings, har, "capture.har")
    # Refused, or read with delays a server can carry out (an hour at most, say).
    delays = [d for r in recordings or () for d in r.delays or ()]
    assert all(0 <= d <= 3600 for d in delays), delays


@pytest.mark.parametrize("data", ["{}", None])
def test_load_recordings_wrong_types(data: Any) -> None:
    # Found by this file: mock.load_recordings: str or None data escapes as
    # TypeError/AttributeError; fixed in 6af7021.
    with pytest.raises(es.EventStreamError):
        mock.load_recordings(data, "capture")


# --- the server, over a socket ---------------------------------------------------------------

_WAIT = 5.0  # every socket (and serve) wait is bounded
_SQUEEZED_XXD = (
    b"00000000: 0000 0000 0000 0000 0000 0000 0000 0000  ................\n*\nfffffffffff0: 00  .\n"
)


@pytest.fixture(scope="module")
def server() -> Iterator[mock.MockServer]:
    with mock.MockServer(idle_timeout=2.0, seed=1) as running:
        yield running


def _exchange(port: int, data: bytes, *, half_close: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=_WAIT) as connection:
        connection.sendall(data)
        if half_close:
            connection.shutdown(socket.SHUT_WR)
        answer = b""
        while True:
            try:
                piece = connection.recv(65536)
            except TimeoutError:
                pytest.fail(f"no answer within {_WAIT} s to {data[:80]!r}")
            if not piece:
                return answer
            answer += piece


def _settle(errors: ThreadErrors, answer: bytes) -> None:
    # A connection thread that died closes its socket before its exception reaches the
    # hook: wait for it here, not in the next test (where pytest would see it).
    for _ in range(100):
        if answer or errors.seen:
            return
        threading.Event().wait(0.01)


def _status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:80]
    return int(answer[9:12])


def _still_serves(port: int) -> None:
    answer = _exchange(port, b"POST /model/m/converse HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")  # fmt: skip
    assert _status(answer) == 200


_POST = b"POST /model/m/converse-stream HTTP/1.1\r\nHost: x\r\n"
_REFUSED = {
    "oversized head": b"POST /" + b"a" * (70 << 10) + b" HTTP/1.1\r\n\r\n",
    "many headers": _POST + b"X: y\r\n" * 150 + b"\r\n",
    "negative length": _POST + b"Content-Length: -1\r\n\r\n",
    "huge length": _POST + b"Content-Length: 99999999999\r\n\r\n",
    "length of 5000 digits": _POST + b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n",
    "two lengths": _POST + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n{}",
    "chunked body": _POST + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "garbage": b"\x00\x01\x02\xff garbage\r\n\r\n",
    "tls hello": bytes.fromhex("160301020001000200") + b"\r\n\r\n",
    "no host": b"POST /model/m/converse HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    "folded header": _POST + b"X: a\r\n b\r\n\r\n",
    "control in header": _POST + b"X: a\x01b\r\n\r\n",
    "non-ASCII header": _POST + b"X: \xff\r\n\r\n",
    "other path": b"POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    "GET": b"GET /model/m/converse HTTP/1.1\r\nHost: x\r\n\r\n",
    "fault garbage": _POST + b"Content-Length: 2\r\nx-eventstream-fault: ;;,,@@==\r\n\r\n{}",
    "fault non-ASCII": _POST + b"Content-Length: 2\r\nx-eventstream-fault: \xff\r\n\r\n{}",
    "fault unknown": _POST + b"Content-Length: 2\r\nx-eventstream-fault: explode\r\n\r\n{}",
    "fault two ends": _POST + b"Content-Length: 2\r\nx-eventstream-fault: cut@1:1;disconnect"
    b"\r\n\r\n{}",
    "fault stall nan": _POST + b"Content-Length: 2\r\nx-eventstream-fault: stall=nan\r\n\r\n{}",
}


@pytest.mark.parametrize("name", sorted(_REFUSED))
def test_server_refuses_hostile_requests_and_keeps_serving(
    server: mock.MockServer, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    errors = ThreadErrors(monkeypatch)
    status = _status(_exchange(server.port, _REFUSED[name]))
    assert 400 <= status < 500 or status == 501, status
    _still_serves(server.port)
    assert errors.seen == []


@pytest.mark.parametrize(
    "data",
    [_POST + b"Content-Length: 10\r\n\r\n{}", _POST + b"Content-Le", b"POST", b""],
    ids=["short body", "cut head", "cut line", "nothing"],
)
def test_server_survives_clients_that_leave(
    server: mock.MockServer, monkeypatch: pytest.MonkeyPatch, data: bytes
) -> None:
    errors = ThreadErrors(monkeypatch)
    answer = _exchange(server.port, data)
    assert answer == b"" or 400 <= _status(answer) < 500
    _still_serves(server.port)
    assert errors.seen == []


_ESCAPES = {
    "non-ASCII target": b"POST /model/\xff/converse-stream HTTP/1.1\r\nHost: x\r\n"
    b"Content-Length: 0\r\n\r\n",
    "fault http=%C2%B2": _POST + b"Content-Length: 2\r\nx-eventstream-fault: http=%C2%B2\r\n\r\n{}",
    "fault seed=%C2%B2": _POST + b"Content-Length: 2\r\nx-eventstream-fault: "
    b"fragment=random,seed=%C2%B2\r\n\r\n{}",
    "fault cut of 5000 digits": _POST
    + b"Content-Length: 2\r\nx-eventstream-fault: cut@"
    + b"9" * 5000
    + b":1\r\n\r\n{}",
}


@pytest.mark.parametrize("name", sorted(_ESCAPES))
def test_server_answers_4xx_to_requests_that_escape(
    server: mock.MockServer, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # Found by this file: MockServer: the connection thread dies with a traceback and no answer
    # (UnicodeDecodeError from parse_head on a non-ASCII target; ValueError from parse_faults on a
    # Unicode or >4300-digit number in x-eventstream-fault); fixed in 6af7021.
    errors = ThreadErrors(monkeypatch)
    answer = _exchange(server.port, _ESCAPES[name])
    _settle(errors, answer)
    assert errors.seen == []
    assert 400 <= _status(answer) < 500


_ANY_TARGET = st.sampled_from(["/model/m/", "/model/%ff/", "/"]).flatmap(
    lambda prefix: st.sampled_from(
        ["converse-stream", "invoke-with-response-stream", "converse", "invoke", "x"]
    ).map(lambda op: prefix + op)
) | st.text(st.characters(min_codepoint=0x21, max_codepoint=0xFF), min_size=1, max_size=30)
#: Fault specs a header may carry, none of them a stall (a hang, by request).
_HEADER_SPECS = st.one_of(
    st.lists(st.tuples(_VALID_FAULTS, st.integers(0, 40)), max_size=3).map(
        lambda drawn: ";".join(t.replace("{n}", str(n)) for t, n in drawn)
    ),
    _SPECS,
).filter(lambda spec: "stall" not in spec)


@st.composite
def served_requests(draw: st.DrawFn) -> bytes:
    """A request to a served operation (or not), with a drawn fault header."""
    head = draw(request_heads(_ANY_TARGET))
    if draw(st.booleans()):
        spec = draw(_HEADER_SPECS).encode("utf-8")
        head += b"\r\n" + mock.FAULT_HEADER.encode() + b": " + spec
    body = draw(st.binary(max_size=20))
    if draw(st.booleans()):
        head += b"\r\nHost: x\r\nContent-Length: %d" % len(body)
    return head + b"\r\n\r\n" + body


@SWEEP
@given(served_requests() | st.tuples(request_heads(), st.binary(max_size=40)).map(
    lambda drawn: drawn[0] + b"\r\n\r\n" + drawn[1]))  # fmt: skip
def test_server_takes_drawn_requests(request: bytes) -> None:
    # Hypothesis and function-scoped fixtures do not mix: a server and a hook per run.
    seen: list[str] = []
    hook = threading.excepthook
    threading.excepthook = lambda args: seen.append(f"{args.exc_type.__name__}")
    try:
        with mock.MockServer(idle_timeout=1.0, seed=2) as running:
            if b"stall" in request.lower():
                request = request.replace(b"stall", b"st4ll")  # a stall is a hang by request
            answer = _exchange(running.port, request)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 ")
            _still_serves(running.port)
    finally:
        threading.excepthook = hook
    assert seen == []


def test_server_with_a_surrogate_script_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    # Found by this file: MockServer with a script whose model holds a lone surrogate (valid
    # JSON): the connection thread dies with UnicodeEncodeError (Script.messages) and sends
    # nothing; fixed in 6af7021.
    errors = ThreadErrors(monkeypatch)
    script = mock.script_from_json(json.loads('{"model": "\\ud800"}'), "script.json")
    with mock.MockServer(script=script, idle_timeout=1.0) as running:
        answer = _exchange(
            running.port,
            b"POST /model/m/invoke-with-response-stream HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 2\r\n\r\n{}",
        )
    assert errors.seen == []
    assert answer.startswith(b"HTTP/1.1 ")


@pytest.mark.parametrize("data", [b"\xff\xfe{}\n", b"[" * 100_000 + b"\n"], ids=["latin", "deep"])
def test_read_journal_of_hostile_files(tmp_path: Path, data: bytes) -> None:
    # Found by this file: mock.read_journal: a journal file that is not UTF-8 raises
    # UnicodeDecodeError (Path.read_text), a line nested 100,000 deep RecursionError (only
    # ValueError is caught); fixed in 6af7021.
    path = tmp_path / "journal.jsonl"
    path.write_bytes(data)
    with pytest.raises(es.EventStreamError):
        mock.read_journal(path)


_PLANNED = {
    stream: tuple(es.Decoder().feed(sample_bytes(name)))
    for stream, name in (("invoke", "claude_invoke_tool_use"), ("converse", "converse_tool_use"))
}


@SWEEP
@given(
    st.lists(st.tuples(_VALID_FAULTS, st.integers(0, 40)), max_size=4),
    st.sampled_from(["converse", "invoke"]),
    st.booleans(),
)
def test_plans_for_any_faults_the_grammar_takes(
    drawn: list[tuple[str, int]], stream: str, empty: bool
) -> None:
    spec = ";".join(template.replace("{n}", str(n)) for template, n in drawn)
    faults = ours(mock.parse_faults, spec)
    if faults is None:
        return
    messages = () if empty else _PLANNED[stream]
    for plan in (
        mock.plan_stream(messages, [0.0] * len(messages), stream, faults, rng=random.Random(0)),  # type: ignore[arg-type]
        mock.plan_reply(b"{}", faults, rng=random.Random(0)),
    ):
        assert 200 <= plan.status <= 599
        assert plan.frames <= len(messages) + len(faults)
        body = plan.body
        if plan.chunked and plan.status == 200 and not any(f.kind == "corrupt" for f in faults):
            # The frames before the fault are whole: a decoder reads them, then fails closed
            # or ends cleanly; it never reads more frames than went out whole (+ an ending).
            decoder = es.Decoder()
            read = ours(decoder.feed, body)
            if read is not None:
                assert len(read) >= plan.frames


def _serve_cli(args: list[str]) -> tuple[int, str]:
    """``eventstream serve`` with arguments it must refuse before it serves (bounded)."""
    out, err = io.StringIO(), io.StringIO()
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["code"] = cli.main(["serve", *args], stdout=out, stderr=err)
        except BaseException as exc:  # reported below, with its type
            result["escaped"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(_WAIT)
    assert not thread.is_alive(), f"serve {args} is serving; it should have refused"
    escaped = result.pop("escaped", None)
    shown = "".join(traceback.format_exception(escaped)) if escaped is not None else ""
    del escaped  # its frames hold what it leaked
    with warnings.catch_warnings():
        # socket.create_server leaks its socket when bind() raises OverflowError (--port
        # 99999): collect it here, not as a ResourceWarning in some later test.
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    assert not shown, f"a traceback escaped cli.main:\n{shown}"
    assert "Traceback" not in err.getvalue()
    return result["code"], err.getvalue()


def _serve_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "deep.json": b"[" * 100_000,
        "surrogate-free.json": b'{"text": 5}',
        "capture.bin": b"\xff" * 30,
        "capture.har": b'{"log":{"entries":[{"response":{"content":{"mimeType":'
        b'"application/vnd.amazon.eventstream","encoding":"base64","text":"!!!"}}}]}}',
        "squeezed.xxd": _SQUEEZED_XXD,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return {name: tmp_path / name for name in files}


_SERVE_REFUSED = {
    "fault garbage": ["--fault", "garbage"],
    "fault two ends": ["--fault", "cut@1:1", "--fault", "disconnect"],
    "rate nan": ["--rate", "nan"],
    "rate 0": ["--rate", "0"],
    "jitter inf": ["--jitter", "inf"],
    "first event -1": ["--first-event", "-1"],
    "delta size 0": ["--delta-size", "0"],
    "tool not an object": ["--tool", "x=[1]"],
    "seed of 5000 digits": ["--seed", "9" * 5000],
    "script nested 100,000 deep": ["--script", "{deep.json}"],
    "script not a script": ["--script", "{surrogate-free.json}"],
    "script missing": ["--script", "/nonexistent/script.json"],
    "capture not a stream": ["{capture.bin}"],
    "capture bad HAR": ["{capture.har}"],
    "capture missing": ["/nonexistent/capture.bin"],
    "host unknown": ["--host", "no such host.invalid"],
}


def _with_files(args: list[str], files: dict[str, Path]) -> list[str]:
    return [str(files[a[1:-1]]) if a.startswith("{") else a for a in args]


@pytest.mark.parametrize("name", sorted(_SERVE_REFUSED))
def test_serve_cli_refuses_hostile_arguments(tmp_path: Path, name: str) -> None:
    code, err = _serve_cli(_with_files(_SERVE_REFUSED[name], _serve_files(tmp_path)))
    assert code == 2, err  # argparse's own refusals (the seed) go to sys.stderr


_SERVE_ESCAPES = {
    "fault http=²": ["--fault", "http=²"],
    "fault cut of 5000 digits": ["--fault", "cut@" + "9" * 5000 + ":1"],
    "port 99999": ["--port", "99999"],
    "port -1": ["--port", "-1"],
    "tool nested 100,000 deep": ["--tool", "x=" + "[" * 100_000],
    "squeezed listing": ["{squeezed.xxd}"],
}


@pytest.mark.parametrize("name", sorted(_SERVE_ESCAPES))
@pytest.mark.usefixtures("collect_leaks")
def test_serve_cli_hostile_arguments_that_escape(tmp_path: Path, name: str) -> None:
    # Found by this file: eventstream serve: a traceback escapes cli.main: ValueError
    # (parse_faults, Unicode or >4300-digit numbers), OverflowError (bind() on --port 99999 or
    # -1), RecursionError (--tool JSON nested deep: mock.cli._script catches ValueError only),
    # MemoryError (a squeezed xxd capture, capture._listing); fixed in 6af7021 and ae8c550.
    code, _ = _serve_cli(_with_files(_SERVE_ESCAPES[name], _serve_files(tmp_path)))
    assert code == 2


# ============================================================================================
# eventstream.capture: the input formats, and `eventstream decode` on hostile files
# ============================================================================================

_RAW = sample_bytes("claude_invoke_tool_use")[:1161]  # the frames the listings show
_HTTP = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
    + b"".join(b"%x\r\n%s\r\n" % (len(_RAW[i : i + 300]), _RAW[i : i + 300])
               for i in range(0, len(_RAW), 300))
    + b"0\r\n\r\n"
)  # fmt: skip
#: A valid file of each wrapped format (and HAR), to damage.
VALID_INPUTS: dict[str, bytes] = {
    "http": _HTTP,
    "gzip": gzip.compress(_HTTP, mtime=0),
    "xxd": (HOSTILE / "claude-invoke-head.xxd").read_bytes(),
    "hexdump": (HOSTILE / "claude-invoke-head.hexdump").read_bytes(),
    "pcap": (DATA / "invoke-lo.pcap").read_bytes(),
    "pcapng": (DATA / "invoke-lo.pcapng").read_bytes(),
    "mitmproxy": (DATA / "invoke.mitmproxy-flows").read_bytes(),
    "har": (DATA / "invoke.mitmproxy.har").read_bytes(),
}


def test_the_valid_inputs_are_valid() -> None:
    # Otherwise the sweeps below damage what was never sound.
    assert set(VALID_INPUTS) | {"raw", "hex", "base64"} == set(capture.INPUT_FORMATS)
    for name, data in VALID_INPUTS.items():
        loaded = capture.load_input(data, name)  # type: ignore[arg-type]
        assert loaded.bodies and all(es.Decoder().feed(b.data) for b in loaded.bodies), name
    listing = capture.load_input(VALID_INPUTS["xxd"], "xxd").bodies[0].data
    assert listing == _RAW


def _load_all(data: bytes, fmt: str | None) -> None:
    for opened in (
        lambda: capture.load_input(data, fmt),  # type: ignore[arg-type]
        lambda: capture.open_input(io.BytesIO(data), fmt, read_size=97),  # type: ignore[arg-type]
    ):
        loaded = ours(opened)
        if loaded is None:
            continue
        if all(body.reads is None for body in loaded.bodies):
            ours(capture.list_streams, loaded.bodies)
        for body in loaded.bodies:
            decoded = ours(capture.decode_frames, body, bedrock="auto", resync=True)
            if decoded is not None:
                ours(capture.timeline, decoded)
            elif body.reads is not None:
                ours(list, body.chunks())


@SWEEP
@given(st.sampled_from([*capture.INPUT_FORMATS, None]), st.binary(max_size=300))
@example("mitmproxy", b"999999999:" + b"x" * 10)
@example("mitmproxy", b"9" * 5000 + b":x")
@example("http", b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\nabc")
@example("http", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"f" * 5000)
@example("har", deep(10_000, b'{"log":'))
@example("gzip", b"\x1f\x8b" + b"\x00" * 20)
def test_capture_formats_take_arbitrary_bytes(fmt: str | None, data: bytes) -> None:
    _load_all(data, fmt)


@SWEEP
@given(st.sampled_from(sorted(VALID_INPUTS)), st.booleans(), st.data())
def test_capture_formats_take_damaged_valid_files(
    name: str, detect: bool, data: st.DataObject
) -> None:
    _load_all(data.draw(damaged(VALID_INPUTS[name])), None if detect else name)


_HAR = json.loads(VALID_INPUTS["har"])
_HAR_PATHS = [path for path in _paths(_HAR) if path[-1:] != ("text",)]


@SWEEP
@given(st.lists(st.tuples(st.sampled_from(_HAR_PATHS), _REPLACEMENTS), min_size=1, max_size=3))
def test_har_documents_with_hostile_members(replacements: list[tuple[Any, Any]]) -> None:
    document = _HAR
    for path, value in replacements:
        node = document
        for step in path[:-1]:
            node = node[step] if isinstance(node, dict | list) and _has(node, step) else None
        if path and isinstance(node, dict | list) and _has(node, path[-1]):
            document = _replace(document, path, value)
    data = json.dumps(document).encode()
    _load_all(data, "har")
    _load_all(data, None)
    recordings = ours(mock.load_recordings, data, "capture.har")
    for recording in recordings or ():
        assert all(d >= 0 for d in recording.delays or ())


def _has(node: Any, step: Any) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(step, int) and step < len(node)


def _claims(kind: str) -> bytes:
    if kind == "pcap caplen":
        head = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
        return head + struct.pack("<IIII", 0, 0, 0xFFFFFFFF, 0xFFFFFFFF) + b"x" * 10
    if kind == "pcapng block":
        head = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28)
        return head + struct.pack("<II", 1, 0xFFFFFFF0) + b"x" * 20
    if kind == "mitmproxy length":
        return b"10485760:" + b"x" * 10
    if kind == "http length":
        return b"HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\n\r\nabc"
    if kind == "http chunk":
        return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na00000\r\nabc"
    if kind == "har base64 length":
        return b'{"log":{"entries":[{"response":{"content":{"size":10485760,"text":"AAAA"}}}]}}'
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    ["pcap caplen", "pcapng block", "mitmproxy length", "http length", "http chunk",
     "har base64 length"],
)  # fmt: skip
def test_capture_memory_bounded_by_the_input_not_its_claims(kind: str) -> None:
    data = _claims(kind)
    tracemalloc.start()
    try:
        _load_all(data, None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"{kind}: {peak:,} bytes for a {len(data)}-byte input"


# A squeezed listing ('*': lines repeated) whose next offset claims 16 TiB of repeats.
_SQUEEZED = {
    "xxd": _SQUEEZED_XXD,
    "hexdump": b"00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
    b"*\nfffffffffff0  00  |.|\n",
}


@pytest.mark.parametrize("given_format", [True, False], ids=["given", "detected"])
@pytest.mark.parametrize("kind", sorted(_SQUEEZED))
def test_squeezed_listing_claiming_terabytes(kind: str, given_format: bool) -> None:
    # Found by this file: capture._listing.parse_listing: after '*' the next offset's gap is
    # filled with `previous * (gap // len(previous))`, unbounded: a 100-byte listing claiming 16
    # TiB raises MemoryError (0x7ffffff0 allocates 2 GiB); no limit like MAX_DECOMPRESSED_SIZE;
    # fixed in ae8c550.
    with pytest.raises(es.EventStreamError):
        capture.load_input(_SQUEEZED[kind], kind if given_format else None)  # type: ignore[arg-type]


def test_cli_decode_of_a_squeezed_listing(tmp_path: Path) -> None:
    # Found by this file: eventstream decode of a 100-byte squeezed xxd listing claiming 16 TiB:
    # MemoryError escapes cli.main (capture._listing.parse_listing); fixed in ae8c550.
    path = tmp_path / "squeezed.xxd"
    path.write_bytes(_SQUEEZED["xxd"])
    _decode_cli(path, ["--json"])


class _Reads:
    """A file object whose read() gives ``value`` (a wrong type), once."""

    def __init__(self, value: Any) -> None:
        self.value: Any = value

    def read(self, size: int = -1) -> Any:
        value, self.value = self.value, b""
        return value


def _chunks_of_hex(read_size: int) -> list[bytes]:
    loaded = capture.open_input(io.BytesIO(b"00" * (1 << 20)), "hex", read_size=read_size)
    return [bytes(c) for body in loaded.bodies for c in body.chunks()]


_CAPTURE_WRONG_TYPES: dict[str, Callable[[], Any]] = {
    "load_input(str)": lambda: capture.load_input("AAAA"),  # type: ignore[arg-type]
    "load_input(None)": lambda: capture.load_input(None),  # type: ignore[arg-type]
    "load_input(memoryview)": lambda: capture.load_input(memoryview(b"AAAA")),  # type: ignore[arg-type]
    "load_input(bytearray gzip)": lambda: capture.load_input(bytearray(b"\x1f\x8b")),  # type: ignore[arg-type]
    "open_input(None)": lambda: capture.open_input(None),  # type: ignore[arg-type]
    "open_input(read() -> str)": lambda: capture.open_input(_Reads("AAAA")),
    "open_input(read() -> None)": lambda: capture.open_input(_Reads(None)),
    "open_input(size='x')": lambda: capture.open_input(io.BytesIO(b"AAAA"), size="x"),  # type: ignore[arg-type]
    "decode_frames(None)": lambda: capture.decode_frames(None),  # type: ignore[arg-type]
    "timeline(None)": lambda: capture.timeline(None),  # type: ignore[arg-type]
    "list_streams(None)": lambda: capture.list_streams(None),  # type: ignore[arg-type]
    "list_streams([None])": lambda: capture.list_streams([None]),  # type: ignore[list-item]
}


@pytest.mark.parametrize("name", sorted(_CAPTURE_WRONG_TYPES))
def test_capture_wrong_argument_types(name: str) -> None:
    # Found by this file: capture: wrong argument types escape as
    # TypeError/AttributeError/ValueError (load_input of str, None, memoryview or bytearray;
    # open_input of None or a read() giving str/None, size='x';
    # decode_frames/timeline/list_streams of None); fixed in ae8c550.
    with pytest.raises(es.EventStreamError):
        _CAPTURE_WRONG_TYPES[name]()


@pytest.mark.parametrize("read_size", [0, -1])
def test_open_input_read_size(read_size: int) -> None:
    # Found by this file: capture.open_input: read_size is not checked: 0 raises ValueError
    # (range() step 0 in the hex reader), -1 is taken and 2 MiB of valid hex text reads as 'an odd
    # number of hex digits' (the events() functions refuse both with ConfigurationError); fixed in
    # ae8c550.
    try:
        chunks = _chunks_of_hex(read_size)
    except es.ConfigurationError:
        return
    assert b"".join(chunks) == bytes(1 << 20)


class _Pipe(io.RawIOBase):
    """A pipe's end: readable, not seekable, no size."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._data.readinto(buffer)


def _decode_cli(path: Path, flags: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["decode", *flags, str(path)], stdout=out, stderr=err)
    assert isinstance(code, int)
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return code, err.getvalue()


_CLI_FLAGS = st.sampled_from(
    [["--json"], ["--table"], ["--summary"], ["--bedrock", "--json"], ["--bedrock", "--table"],
     ["--json", "--resync"], ["--summary", "--resync"], ["--to", "anthropic"],
     ["--to", "openai"], ["--to", "anthropic", "--resync"], ["--to", "openai", "--resync"],
     ["--to", "anthropic", "--stream", "converse"], ["--to", "openai", "--stream", "invoke"],
     ["--stream", "agent"], ["--stream", "sagemaker"], ["--stream", "bidirectional-output"],
     ["--stream", "lambda"], ["--stream", "converse", "--summary"]]
)  # fmt: skip


@SWEEP
@given(
    st.sampled_from(sorted(VALID_INPUTS)).flatmap(lambda n: damaged(VALID_INPUTS[n]))
    | st.binary(max_size=200)
    | st.sampled_from(sorted(VALID_INPUTS)).map(VALID_INPUTS.__getitem__),
    st.sampled_from([None, *capture.INPUT_FORMATS]),
    _CLI_FLAGS,
)
def test_cli_decode_of_hostile_files(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, fmt: str | None, flags: list[str]
) -> None:
    path = tmp_path_factory.mktemp("decode") / "capture"
    path.write_bytes(data)
    given_format = ["--input-format", fmt] if fmt else []
    code, err = _decode_cli(path, [*flags, "-q", *given_format, "--no-progress"])
    assert code in (0, 1, 2, 3, 4), (code, err)
    # The same bytes on standard input (a pipe: not seekable, no size).
    out, err_out = io.StringIO(), io.StringIO()
    argv = ["decode", *flags, *given_format, "--no-progress", "-"]
    piped = cli.main(argv, stdin=io.BufferedReader(_Pipe(data)), stdout=out, stderr=err_out)
    assert piped == code, (piped, code, err_out.getvalue())
    assert "Traceback" not in err_out.getvalue()


# ============================================================================================
# The service layers: bedrock.agent, sagemaker, awslambda; bedrock.nova_sonic
# ============================================================================================

_SERVICES = {"agent": agent, "sagemaker": sagemaker, "awslambda": awslambda}


def _wire_names(module: Any) -> list[str]:
    """Every member name the service's shapes have on the wire (a vocabulary for JSON)."""
    names: set[str] = set()
    for value in vars(module).values():
        if isinstance(value, type) and dataclasses.is_dataclass(value):
            for field in dataclasses.fields(value):
                name = field.name
                head, *rest = name.split("_")
                names.add(field.metadata.get("wire", head + "".join(p.title() for p in rest)))
    return sorted(names)


_VOCABULARY = {name: _wire_names(module) for name, module in _SERVICES.items()}


@st.composite
def service_frames(draw: st.DrawFn, service: str) -> tuple[str, es.Message]:
    """A frame of one of the service's streams: an event or exception of the union (or
    not), and a hostile JSON (or arbitrary) payload."""
    module = _SERVICES[service]
    stream = draw(st.sampled_from(sorted(module.STREAMS)))
    union = module.STREAMS[stream]
    kind = draw(st.sampled_from(["event", "exception", "error", "other"]))
    names = (
        [c.event_type for c in union.events]
        if kind == "event"
        else [c.exception_type for c in union.exceptions]
    )
    name = draw(st.sampled_from(names or ["x"]) | st.text(max_size=8))
    vocabulary = _VOCABULARY[service] + ["message", "Message", "bytes"]
    payload = draw(
        hostile_json(vocabulary).map(lambda v: json.dumps(v).encode())
        | st.binary(max_size=60)
        | st.sampled_from([deep(10_000), deep(10_000, b'{"a":'), b'"\\ud800"', b"1e400"])
    )
    headers: dict[str, es.HeaderValue] = {
        ":message-type": kind,
        ":content-type": "application/json",
    }
    headers[":event-type" if kind == "event" else ":exception-type"] = name
    if kind == "error":
        headers = {":message-type": "error", ":error-code": name, ":error-message": "m"}
    return stream, es.Message(headers, payload)


@HEAVY
@given(st.sampled_from(sorted(_SERVICES)).flatmap(lambda s: st.tuples(st.just(s),
       st.lists(service_frames(s), min_size=1, max_size=3))), st.booleans())  # fmt: skip
def test_service_layers_decode_hostile_frames(
    drawn: tuple[str, list[tuple[str, es.Message]]], strict: bool
) -> None:
    service, frames = drawn
    module = _SERVICES[service]
    decoded = []
    for stream, message in frames:
        for union in (stream, None):
            event = ours(module.decode_event, message, union, strict=strict)
            if event is not None and union is not None:
                decoded.append(event)
                ours(_frame_of, module, event)
    body = b"".join(message.encode() for _, message in frames)
    stream = frames[0][0]
    for name in (stream, "auto"):
        ours(list, module.events(body, name, raise_exceptions=False, strict=strict))


def _frame_of(module: Any, event: Any) -> bytes:
    return bytes(module.encode_event(event).encode())


def _valid_service_stream(service: str, frames: list[tuple[str, es.Message]]) -> bytes:
    # What the layer decodes, encoded back by the layer: a valid stream.
    module = _SERVICES[service]
    out = []
    for stream, message in frames:
        event = ours(module.decode_event, message, stream)
        if event is not None and not isinstance(event, br.UnknownEvent | br.UnknownException):
            encoded = ours(_frame_of, module, event)
            if encoded is not None:
                out.append(encoded)
    return b"".join(out)


async def _collect(iterator: Any) -> list[Any]:
    return [event async for event in iterator]


async def _pieces(data: bytes, size: int) -> Any:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@HEAVY
@given(
    st.sampled_from(sorted(_SERVICES)).flatmap(
        lambda s: st.tuples(st.just(s), st.lists(service_frames(s), min_size=1, max_size=4))
    ),
    st.data(),
)
def test_service_layers_cut_streams_fail_closed(
    drawn: tuple[str, list[tuple[str, es.Message]]], data: st.DataObject
) -> None:
    service, frames = drawn
    module = _SERVICES[service]
    body = _valid_service_stream(service, frames)
    if not body:
        return
    inside = [
        offset
        for frame in es.Decoder().frames(body)
        for offset in range(frame.offset + 1, frame.offset + frame.length)
    ]
    cut = data.draw(st.sampled_from(inside))  # inside a frame, never at a boundary
    damaged_body = data.draw(damaged(body))
    size = data.draw(st.integers(1, 50))

    def sync(b: bytes) -> list[Any]:
        pieces = [b[i : i + size] for i in range(0, len(b), size)]
        return list(module.events(pieces, raise_exceptions=False))

    def asynchronous(b: bytes) -> list[Any]:
        return asyncio.run(_collect(module.aevents(_pieces(b, size), raise_exceptions=False)))

    for events in (sync, asynchronous):
        with pytest.raises(es.EventStreamError):
            events(body[:cut])  # a cut inside a frame never ends as if complete
        ours(events, damaged_body)


def _prelude_claiming(total: int, headers: int = 0) -> bytes:
    head = struct.pack(">II", total, headers)
    return head + struct.pack(">I", zlib.crc32(head))


@pytest.mark.parametrize("service", sorted(_SERVICES))
@pytest.mark.parametrize("claim", [16 << 20, (16 << 20) + 16, 0xFFFFFFFF], ids=str)
def test_service_layers_memory_bounded_by_the_input_not_its_claims(
    service: str, claim: int
) -> None:
    # A valid prelude claiming ``claim`` bytes, then 100: refused or cut, never buffered
    # (or allocated) to the size claimed.
    module = _SERVICES[service]
    data = _prelude_claiming(claim) + b"\x00" * 100
    tracemalloc.start()
    try:
        with pytest.raises(es.EventStreamError):
            list(module.events([data[:7], data[7:]], raise_exceptions=False))
        with pytest.raises(es.EventStreamError):
            asyncio.run(_collect(module.aevents(_pieces(data, 5), raise_exceptions=False)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, peak


_SERVICE_WRONG_TYPES = {
    f"{service}.decode_event({arg!r})": (lambda m=module, a=arg: m.decode_event(a))
    for service, module in _SERVICES.items()
    for arg in (None, b"\x00")
}


@pytest.mark.parametrize("name", sorted(_SERVICE_WRONG_TYPES))
def test_service_decode_event_wrong_types(name: str) -> None:
    # Found by this file: service layers' decode_event(None or bytes): AttributeError 'headers'
    # (bedrock.decode_event shares it; es.decode raises InputTypeError); fixed in 9661923.
    with pytest.raises(es.EventStreamError):
        _SERVICE_WRONG_TYPES[name]()


# --- Nova Sonic -----------------------------------------------------------------------------

_NOVA_INPUT = [
    "sessionStart", "promptStart", "contentStart", "textInput", "audioInput", "toolResult",
    "contentEnd", "promptEnd", "sessionEnd",
]  # fmt: skip
_NOVA_OUTPUT = [
    "completionStart", "contentStart", "textOutput", "audioOutput", "toolUse", "contentEnd",
    "usageEvent", "completionEnd",
]  # fmt: skip
_NOVA_KEYS = [
    *_NOVA_INPUT, *_NOVA_OUTPUT, "event", "promptName", "contentName", "content", "role",
    "type", "interactive", "textInputConfiguration", "audioInputConfiguration", "mediaType",
    "sampleRateHertz", "sampleSizeBits", "channelCount", "audioType", "encoding", "voiceId",
    "toolUseId", "toolName", "stopReason", "additionalModelFields", "totalTokens",
    "totalInputTokens", "totalOutputTokens", "details", "delta", "input", "output", "speech",
    "text", "tokens", "inferenceConfiguration", "maxTokens", "topP", "temperature",
    "completionId", "sessionId", "textOutputConfiguration", "toolConfiguration", "tools",
    "toolSpec", "name", "description", "inputSchema", "json", "USER", "ASSISTANT", "TEXT",
    "AUDIO", "TOOL", "SYSTEM", "END_TURN", "INTERRUPTED", "PARTIAL_TURN",
]  # fmt: skip


@st.composite
def nova_chunks(draw: st.DrawFn, names: list[str]) -> bytes:
    member = draw(st.sampled_from(names) | st.text(max_size=8))
    body = draw(st.dictionaries(st.sampled_from(_NOVA_KEYS), hostile_json(_NOVA_KEYS), max_size=4))
    envelope: Any = {"event": {member: body}}
    if draw(st.integers(0, 9)) == 0:
        envelope = draw(hostile_json(_NOVA_KEYS))
    return json.dumps(envelope).encode()


_VALID_NOVA_INPUT = [
    b'{"event":{"sessionStart":{"inferenceConfiguration":{"maxTokens":1024}}}}',
    b'{"event":{"promptStart":{"promptName":"p"}}}',
    b'{"event":{"contentStart":{"promptName":"p","contentName":"c","type":"TEXT",'
    b'"role":"SYSTEM","interactive":false,"textInputConfiguration":{"mediaType":"text/plain"}}}}',
    b'{"event":{"textInput":{"promptName":"p","contentName":"c","content":"hi"}}}',
    b'{"event":{"contentEnd":{"promptName":"p","contentName":"c"}}}',
    b'{"event":{"promptEnd":{"promptName":"p"}}}',
    b'{"event":{"sessionEnd":{}}}',
]


@HEAVY
@given(
    st.lists(st.sampled_from(_VALID_NOVA_INPUT) | nova_chunks(_NOVA_INPUT), max_size=6),
    st.lists(nova_chunks(_NOVA_OUTPUT) | st.binary(max_size=30), max_size=4),
)
@example([deep(10_000, b'{"event":')], [b'{"event":{"textOutput":{"content":' + deep(10_000)])
@example([b'{"event":{"audioInput":{"content":"!!"}}}'], [b'{"event":{"usageEvent":{"totalTokens":'
                                                          + b"9" * 5000 + b"}}}"])  # fmt: skip
def test_nova_sonic_decode_and_order_checks(inputs: list[bytes], outputs: list[bytes]) -> None:
    decoded_in = [e for e in (ours(ns.decode_input, c) for c in inputs) if e]
    decoded_out = [e for e in (ours(ns.decode_output, c) for c in outputs) if e]
    for events, decode in ((decoded_in, ns.decode_input), (decoded_out, ns.decode_output)):
        for event in events:
            chunk = ns.encode(event)
            assert ns.encode(decode(chunk)) == chunk  # what decodes, encodes and reads back
    for complete in (True, False):
        violations = ns.input_violations(decoded_in, complete=complete)
        if violations:
            with pytest.raises(ns.NovaSonicOrderError):
                ns.check_input_order(decoded_in, complete=complete)
        else:
            ns.check_input_order(decoded_in, complete=complete)
        ours(ns.check_output_order, decoded_out, complete=complete)
        ns.output_violations(decoded_out, complete=complete)
    ns.transcribe(decoded_out)
    chunks = [br.Chunk(bytes=c) for c in outputs]
    ours(list, ns.output_events(chunks))
    ours(list, ns.input_events([br.Chunk(bytes=c) for c in inputs]))


_NOVA_WRONG_TYPES = {
    f"{function.__name__}({shown})": (lambda f=function, a=arg: f(a))
    for function in (ns.decode_input, ns.decode_output)
    for shown, arg in (("None", None), ("'{}'", "{}"), ("2**70", 2**70), ("-1", -1))
}


@pytest.mark.parametrize("name", sorted(_NOVA_WRONG_TYPES))
def test_nova_sonic_decode_wrong_types(name: str) -> None:
    # Found by this file (TypeError, OverflowError, ValueError; an int built that many
    # zero bytes); fixed in 6042e12.
    with pytest.raises(es.EventStreamError):
        _NOVA_WRONG_TYPES[name]()


# --- iterators that failed stay failed ------------------------------------------------------

_CUT_FRAME = _prelude_claiming(32) + b"\x00" * 10  # a valid prelude, then cut short
_BAD_PRELUDE = b"\x00\x00\x00\x20" + b"\x00" * 30


def _hex_chunks(tail: bytes) -> Iterator[bytes]:
    loaded = capture.open_input(io.BytesIO(b"00" * (1 << 20) + tail), "hex")
    return iter(loaded.bodies[0].chunks())


_ITERATORS = [
    pytest.param(lambda: es.iter_messages([_BAD_PRELUDE]), id="es.iter_messages"),
    pytest.param(lambda: br.events([_CUT_FRAME], stream="auto"), id="bedrock.events"),
    *(
        pytest.param(lambda m=module: m.events([_BAD_PRELUDE]), id=f"{name}.events")
        for name, module in sorted(_SERVICES.items())
    ),
    # Found by this file (a clean end after the error); fixed in c3af0ad.
    pytest.param(
        lambda: translate.from_anthropic([b"data: {bad\n\n", b"data: {}\n\n"]),
        id="translate.from_anthropic",
    ),
    pytest.param(
        lambda: translate.from_openai([b"data: {bad\n\n", b"data: {}\n\n"]),
        id="translate.from_openai",
    ),
    # Found by this file (input_events went on past a failure, output_events ended
    # cleanly); fixed in 6042e12.
    pytest.param(
        lambda: ns.input_events([b"not json", b'{"event":{"sessionEnd":{}}}']),
        id="nova_sonic.input_events",
    ),
    pytest.param(
        lambda: ns.output_events([br.Chunk(bytes=b"not json"), br.Chunk(bytes=b"{}")]),
        id="nova_sonic.output_events",
    ),
    # Found by this file (a clean end after the error); fixed in ae8c550.
    pytest.param(
        lambda: _hex_chunks(b"zz"),
        id="capture.open_input(hex).chunks",
    ),
    pytest.param(
        lambda: iter(capture.CaptureDecoder(capture.Body(_BAD_PRELUDE)).frames()),
        id="capture.CaptureDecoder.frames",
    ),
]


@pytest.mark.parametrize("make", _ITERATORS)
def test_iterators_that_failed_stay_failed(make: Callable[[], Iterator[Any]]) -> None:
    # The codec's rule (DecoderStateError): a consumer that catches the error and asks for
    # more is told again, never handed a clean end or the events after the failure.
    iterator = make()
    with pytest.raises(es.EventStreamError):
        for _ in iterator:
            pass
    with pytest.raises(es.EventStreamError):
        next(iterator)


@pytest.mark.parametrize("service", sorted(_SERVICES))
def test_async_iterators_that_failed_stay_failed(service: str) -> None:
    async def run() -> None:
        iterator = _SERVICES[service].aevents(_pieces(_BAD_PRELUDE, 7))
        with pytest.raises(es.EventStreamError):
            async for _ in iterator:
                pass
        with pytest.raises(es.EventStreamError):
            await iterator.__anext__()

    asyncio.run(run())


_NOVA_ORDER_WRONG_TYPES = {
    f"{function.__name__}({shown})": (lambda f=function, a=arg: f(a))
    for function in (ns.check_input_order, ns.check_output_order, ns.input_violations,
                     ns.output_violations, ns.transcribe)
    for shown, arg in (("None", None), ("5", 5))
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(_NOVA_ORDER_WRONG_TYPES))
def test_nova_sonic_order_checks_wrong_types(name: str) -> None:
    # Found by this file (TypeError 'not iterable'); fixed in 54bf639.
    with pytest.raises(es.EventStreamError):
        _NOVA_ORDER_WRONG_TYPES[name]()


# --- the strategies' streams, through every new reader ------------------------------------------


@FEW
@given(bs.converse_streams() | bs.invoke_streams() | bs.interrupted_streams()
       | bs.malformed_streams())  # fmt: skip
def test_drawn_bedrock_streams_through_the_translators_and_back(drawn: bs.BedrockStream) -> None:
    events = list(drawn.events)
    anthropic = b"".join(translate.to_anthropic(events, model="m"))
    openai = b"".join(translate.to_openai(events, model="m", include_usage=True))
    for body, read in ((anthropic, _read_anthropic), (openai, _read_openai)):
        back = read([body], "converse")
        _ends_closed(back)
        assert not back[1]  # what the library wrote, it reads
        if not any(
            isinstance(e, br.Metadata)
            or (isinstance(e, br.Chunk) and b'"message_stop"' in (e.bytes or b""))
            for e in drawn.events
        ):
            # A stream that did not reach its end must not come back whole.
            assert not br.reassemble(back[0]).complete
