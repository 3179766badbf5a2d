"""Hostile input to the readers: any JSON an upstream sends, shaped like its format or not,
gives typed Bedrock events that encode (what a gateway does next) or our error, never
another exception; and any bytes give events or our error."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import eventstream as es
from eventstream import bedrock as br
from eventstream import translate as tr

_SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(
    allow_nan=False, allow_infinity=False
) | st.text(max_size=8)  # fmt: skip
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
_ANTHROPIC_KEYS = st.sampled_from(
    ["type", "index", "message", "content_block", "delta", "usage", "error", "role", "text",
     "partial_json", "thinking", "signature", "citation", "stop_reason", "data", "id", "name",
     "input", "cache_creation", "input_tokens", "output_tokens"]
)  # fmt: skip
_OPENAI_KEYS = st.sampled_from(
    ["choices", "index", "delta", "finish_reason", "usage", "error", "role", "content",
     "tool_calls", "function", "arguments", "id", "name", "reasoning", "reasoning_details",
     "signature", "data", "prompt_tokens", "prompt_tokens_details", "cached_tokens"]
)  # fmt: skip
_TYPES = st.sampled_from(
    ["message_start", "content_block_start", "content_block_delta", "content_block_stop",
     "message_delta", "message_stop", "error", "ping", "text", "tool_use", "thinking",
     "redacted_thinking", "text_delta", "input_json_delta", "thinking_delta",
     "signature_delta", "citations_delta", "char_location", "reasoning.encrypted"]
)  # fmt: skip


def _shaped(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    value = st.recursive(
        _SCALARS | _TYPES,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=16,
    )
    return st.dictionaries(keys, value, max_size=6)


def _check(events: list[br.TypedEvent]) -> None:
    for event in events:
        br.encode_event(event).encode()


def _feed_all(reader: Any, values: list[Any]) -> None:
    try:
        for value in values:
            _check(reader.feed(value) if isinstance(value, dict) else [])
        _check(reader.close())
    except es.EventStreamError:
        pass


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_shaped(_ANTHROPIC_KEYS) | _JSON, max_size=8), st.sampled_from(["converse", "invoke"])
)
def test_any_anthropic_json_gives_encodable_events(values: list[Any], stream: Any) -> None:
    _feed_all(tr.AnthropicToBedrock(stream), values)


@settings(max_examples=150, deadline=None)
@given(st.lists(_shaped(_OPENAI_KEYS) | _JSON, max_size=8), st.sampled_from(["converse", "invoke"]))
def test_any_openai_json_gives_encodable_events(values: list[Any], stream: Any) -> None:
    _feed_all(tr.OpenAIToBedrock(stream), values)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([tr.AnthropicToBedrock, tr.OpenAIToBedrock]))
def test_any_bytes_give_events_or_our_error(data: bytes, reader: Any) -> None:
    translator = reader()
    try:
        _check(translator.feed_bytes(data))
        _check(translator.close())
    except es.EventStreamError:
        pass


def _typed(value: dict[str, Any]) -> dict[str, Any]:
    # A chunk's "type" a string: bedrock.ChunkReader's family detection looks it up in a set
    # (an unhashable "type" makes it raise TypeError: reported to its owner, not tested here).
    if "type" in value and not isinstance(value["type"], str):
        value["type"] = str(value["type"])
    return value


@settings(max_examples=100, deadline=None)
@given(st.lists(_shaped(_ANTHROPIC_KEYS).map(_typed), max_size=8))
def test_any_invoke_chunks_translate_or_fail_closed(values: list[Any]) -> None:
    # Chunks whose JSON is anything: the Bedrock side translators never raise.
    chunks = [br.Chunk(bytes=json.dumps(value).encode()) for value in values]
    for translator in (tr.BedrockToAnthropic(), tr.BedrockToOpenAI()):
        out = b"".join(data for chunk in chunks for data in translator.feed(chunk))
        out += b"".join(translator.close())
        assert out == b"" or out.endswith(b"\n\n")


def test_an_error_event_that_fails_to_encode_still_ends_the_stream_with_one(
    monkeypatch: Any,
) -> None:
    # Before: the translator was marked failed before its error event was built, so when
    # building it raised, to_anthropic / to_openai's second try gave nothing and the client
    # saw a clean, empty 200 stream. The first error event now fails as a whole.
    from eventstream.translate import _anthropic, _openai  # noqa: PLC0415

    events: list[br.TypedEvent] = [
        br.MessageStart(role="assistant"),
        br.ThrottlingException("slow down"),
    ]
    for module, name, to in ((_anthropic, "_sse", tr.to_anthropic), (_openai, "sse", tr.to_openai)):
        real = getattr(module, name)
        calls = {"n": 0}

        def flaky(
            *args: Any,
            real: Any = real,
            calls: dict[str, int] = calls,
            last: bool = module is _anthropic,
            **kw: Any,
        ) -> Any:
            data = args[-1] if last else args[0]
            if '"error"' in data and calls["n"] == 0:
                calls["n"] += 1
                raise es.EncodeError("planted: this error event cannot be written")
            return real(*args, **kw)

        monkeypatch.setattr(module, name, flaky)
        body = b"".join(to(events))
        assert calls["n"] == 1
        assert b'"error"' in body and b"planted" in body, body
        monkeypatch.undo()
