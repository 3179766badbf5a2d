"""Model families on InvokeModelWithResponseStream: each family's documented chunk format read
as Converse events, reassembled, and sent on as a ConverseStream that botocore reads.

The fixtures are built here from each provider's published format (gateway-formats.md section
4, the providers' Bedrock parameter pages); the real captures in ../shared are read too where
they exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.eventstream
import botocore.parsers
import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventstream as es
from eventstream import bedrock as br
from eventstream import bedrock_strategies as bs
from tests.markdown import python_blocks, table_after
from tests.support import shared_path

METRICS = {"inputTokenCount": 12, "outputTokenCount": 3, "invocationLatency": 400,
           "firstByteLatency": 100}  # fmt: skip
INVOCATION = "amazon-bedrock-invocationMetrics"


def _chunks(*bodies: dict[str, Any]) -> list[br.Chunk]:
    return [br.Chunk(bytes=json.dumps(body).encode()) for body in bodies]


def _read(bodies: list[dict[str, Any]], **kwargs: Any) -> br.Reassembled:
    return br.reassemble(_chunks(*bodies), **kwargs)


# --- family fixtures: (model id, chunk bodies), each from the family's published format ----

ANTHROPIC: list[dict[str, Any]] = [
    {"type": "message_start", "message": {
        "id": "msg_bdrk_1", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 5, "cache_creation_input_tokens": 100,
                  "cache_read_input_tokens": 40, "output_tokens": 1,
                  "cache_creation": {"ephemeral_5m_input_tokens": 100,
                                     "ephemeral_1h_input_tokens": 0}}}},
    {"type": "content_block_start", "index": 0,
     "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
    {"type": "content_block_delta", "index": 0,
     "delta": {"type": "thinking_delta", "thinking": "Check the doc."}},
    {"type": "content_block_delta", "index": 0,
     "delta": {"type": "signature_delta", "signature": "EqQBCkYI"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1,
     "content_block": {"type": "redacted_thinking", "data": "AAEC"}},
    {"type": "content_block_stop", "index": 1},
    {"type": "content_block_start", "index": 2,
     "content_block": {"type": "text", "text": "", "citations": []}},
    {"type": "content_block_delta", "index": 2,
     "delta": {"type": "citations_delta", "citation": {
         "type": "char_location", "cited_text": "grass is green", "document_index": 0,
         "document_title": "Facts", "start_char_index": 0, "end_char_index": 14}}},
    {"type": "content_block_delta", "index": 2,
     "delta": {"type": "text_delta", "text": "The grass is green."}},
    {"type": "content_block_stop", "index": 2},
    {"type": "content_block_start", "index": 3, "content_block": {
        "type": "tool_use", "id": "toolu_bdrk_9", "name": "lookup", "input": {}}},
    {"type": "content_block_delta", "index": 3,
     "delta": {"type": "input_json_delta", "partial_json": ""}},
    {"type": "content_block_delta", "index": 3,
     "delta": {"type": "input_json_delta", "partial_json": '{"q": "gra'}},
    {"type": "content_block_delta", "index": 3,
     "delta": {"type": "input_json_delta", "partial_json": 'ss"}'}},
    {"type": "content_block_stop", "index": 3},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
     "usage": {"output_tokens": 30}},
    {"type": "message_stop", INVOCATION: {**METRICS, "inputTokenCount": 145,
                                          "outputTokenCount": 30}},
]  # fmt: skip

NOVA: list[dict[str, Any]] = [
    {"messageStart": {"role": "assistant"}},
    {"contentBlockDelta": {"delta": {"text": "Par"}, "contentBlockIndex": 0}},
    {"contentBlockDelta": {"delta": {"text": "is"}, "contentBlockIndex": 0}},
    {"contentBlockStop": {"contentBlockIndex": 0}},
    {"contentBlockStart": {"start": {"toolUse": {"toolUseId": "tooluse_1", "name": "map"}},
                           "contentBlockIndex": 1}},
    {"contentBlockDelta": {"delta": {"toolUse": {"input": '{"city":"Paris"}'}},
                           "contentBlockIndex": 1}},
    {"contentBlockStop": {"contentBlockIndex": 1}},
    {"messageStop": {"stopReason": "tool_use"}},
    # On Invoke the metadata has no totalTokens and an empty metrics (third-party code).
    {"metadata": {"usage": {"inputTokens": 12, "outputTokens": 3}, "metrics": {}, "trace": {}},
     INVOCATION: METRICS},
]  # fmt: skip

LLAMA: list[dict[str, Any]] = [
    {"generation": "Hello", "prompt_token_count": 12, "generation_token_count": 1,
     "stop_reason": None},
    {"generation": " there", "prompt_token_count": None, "generation_token_count": 2,
     "stop_reason": None},
    {"generation": "", "prompt_token_count": None, "generation_token_count": 3,
     "stop_reason": "length", INVOCATION: METRICS},
]  # fmt: skip

MISTRAL: list[dict[str, Any]] = [
    {"outputs": [{"text": "Bonjour", "stop_reason": None}]},
    {"outputs": [{"text": " !", "stop_reason": "stop"}], INVOCATION: METRICS},
]

MISTRAL_CHAT: list[dict[str, Any]] = [
    {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Let me look."},
                  "stop_reason": None}]},
    {"choices": [{"index": 0, "message": {"role": "assistant", "content": "", "tool_calls": [
        {"id": "abc123XYZ", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}]},
        "stop_reason": "tool_calls"}], INVOCATION: METRICS},
]  # fmt: skip

AI21: list[dict[str, Any]] = [
    {"id": "cmpl-1", "choices": [{"index": 0, "delta": {"role": "assistant"},
                                  "finish_reason": None}],
     "usage": {"prompt_tokens": 12, "total_tokens": 12, "completion_tokens": 0}},
    {"id": "cmpl-1", "choices": [{"index": 0, "delta": {"content": "Shalom"},
                                  "finish_reason": None}]},
    {"id": "cmpl-1", "choices": [{"index": 0, "delta": {"content": ""},
                                  "finish_reason": "length"}],
     "usage": {"prompt_tokens": 12, "total_tokens": 15, "completion_tokens": 3},
     INVOCATION: METRICS},
]  # fmt: skip

COHERE: list[dict[str, Any]] = [
    {"is_finished": False, "event_type": "stream-start", "generation_id": "g1"},
    {"is_finished": False, "event_type": "text-generation", "text": "I will "},
    {"is_finished": False, "event_type": "text-generation", "text": "search."},
    {"is_finished": False, "event_type": "tool-calls-generation", "text": "I will search.",
     "tool_calls": [{"name": "web_search", "parameters": {"query": "tides"}}]},
    {"is_finished": True, "event_type": "stream-end", "finish_reason": "COMPLETE",
     "response": {"text": "I will search.", "generation_id": "g1",
                  "meta": {"billed_units": {"input_tokens": 12, "output_tokens": 3}}},
     INVOCATION: METRICS},
]  # fmt: skip

OPENAI: list[dict[str, Any]] = [
    {"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1,
     "model": "openai.gpt-oss-20b-1:0",
     "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                  "finish_reason": None}]},
    {"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1,
     "model": "openai.gpt-oss-20b-1:0",
     "choices": [{"index": 0, "delta": {"reasoning_content": "Two cities."},
                  "finish_reason": None}]},
    {"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1,
     "model": "openai.gpt-oss-20b-1:0",
     "choices": [{"index": 0, "delta": {"content": "Checking both."}, "finish_reason": None}]},
    {"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1,
     "model": "openai.gpt-oss-20b-1:0",
     "choices": [{"index": 0, "delta": {"tool_calls": [
         {"index": 0, "id": "call_a", "type": "function",
          "function": {"name": "weather", "arguments": ""}},
         {"index": 1, "id": "call_b", "type": "function",
          "function": {"name": "weather", "arguments": '{"city":'}}]},
         "finish_reason": None}]},
    {"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1,
     "model": "openai.gpt-oss-20b-1:0",
     "choices": [{"index": 0, "delta": {"tool_calls": [
         {"index": 0, "function": {"arguments": '{"city": "Oslo"}'}},
         {"index": 1, "function": {"arguments": ' "Rome"}'}}]}, "finish_reason": None}]},
    {"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1,
     "model": "openai.gpt-oss-20b-1:0",
     "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}],
     "usage": {"prompt_tokens": 52, "completion_tokens": 3, "total_tokens": 55,
               "prompt_tokens_details": {"cached_tokens": 40}},
     INVOCATION: METRICS},
]  # fmt: skip

DEEPSEEK: list[dict[str, Any]] = [
    {"choices": [{"text": "<think>short</think>", "stop_reason": None}]},
    {"choices": [{"text": "Answer: 4", "stop_reason": "stop"}], INVOCATION: METRICS},
]

TITAN: list[dict[str, Any]] = [
    {"outputText": "Hi", "index": 0, "inputTextTokenCount": 12,
     "totalOutputTextTokenCount": 1, "completionReason": None},
    {"outputText": " all", "index": 0, "inputTextTokenCount": None,
     "totalOutputTextTokenCount": 3, "completionReason": "FINISH", INVOCATION: METRICS},
]  # fmt: skip

FIXTURES: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "anthropic": ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", ANTHROPIC),
    "nova": ("us.amazon.nova-lite-v1:0", NOVA),
    "llama": ("meta.llama3-1-8b-instruct-v1:0", LLAMA),
    "mistral": ("mistral.mistral-7b-instruct-v0:2", MISTRAL),
    "mistral chat": ("mistral.mistral-large-2407-v1:0", MISTRAL_CHAT),
    "ai21": ("ai21.jamba-1-5-mini-v1:0", AI21),
    "cohere": ("cohere.command-r-plus-v1:0", COHERE),
    "openai": ("openai.gpt-oss-20b-1:0", OPENAI),
    "deepseek": ("us.deepseek.r1-v1:0", DEEPSEEK),
    "titan": ("amazon.titan-text-express-v1", TITAN),
}

#: What each fixture reassembles to: text, tool calls (name, input), stop reason.
ANSWERS: dict[str, tuple[str, list[tuple[str, Any]], str]] = {
    "anthropic": ("The grass is green.", [("lookup", {"q": "grass"})], "tool_use"),
    "nova": ("Paris", [("map", {"city": "Paris"})], "tool_use"),
    "llama": ("Hello there", [], "max_tokens"),
    "mistral": ("Bonjour !", [], "end_turn"),
    "mistral chat": ("Let me look.", [("lookup", {"q": "x"})], "tool_use"),
    "ai21": ("Shalom", [], "max_tokens"),
    "cohere": ("I will search.", [("web_search", {"query": "tides"})], "end_turn"),
    "openai": ("Checking both.", [("weather", {"city": "Oslo"}), ("weather", {"city": "Rome"})],
               "tool_use"),
    "deepseek": ("<think>short</think>Answer: 4", [], "end_turn"),
    "titan": ("Hi all", [], "end_turn"),
}  # fmt: skip


@pytest.mark.parametrize("name", FIXTURES)
def test_each_family_reassembles_its_documented_format(name: str) -> None:
    model_id, bodies = FIXTURES[name]
    text, tools, stop = ANSWERS[name]
    for kwargs in ({"model_id": model_id}, {}):  # from the model id, and from the chunks
        result = _read(bodies, **kwargs)
        assert result.text == text, kwargs
        assert [(t.name, t.input) for t in result.tool_uses] == tools
        assert all(t.complete for t in result.tool_uses)
        assert (result.stop_reason, result.errors, result.complete) == (stop, (), True)
        assert result.unknown_chunks == ()
        assert result.metrics is not None and result.metrics.latency_ms > 0
        assert result.usage is not None and result.usage.output_tokens > 0
    assert _read(bodies, model_id=model_id).family == br.family_of(model_id)


def test_families_given_by_model_id() -> None:
    cases = {
        "anthropic.claude-3-5-haiku-20241022-v1:0": "anthropic",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0": "anthropic",
        "us-gov.anthropic.claude-3-haiku-20240307-v1:0": "anthropic",
        "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-8b-instruct-v1:0": "llama",
        "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.meta.llama3-2-1b-"
        "instruct-v1:0": "llama",
        "/model/us.amazon.nova-lite-v1%3A0/invoke-with-response-stream": "nova",
        "apac.amazon.nova-micro-v1:0": "nova",
        "mistral.mistral-large-2407-v1:0": "mistral",
        "ai21.jamba-1-5-large-v1:0": "ai21",
        "cohere.command-r-v1:0": "cohere",
        "openai.gpt-oss-120b-1:0": "openai",
        "us.deepseek.r1-v1:0": "deepseek",
        "amazon.titan-text-premier-v1:0": "titan",
    }
    for model_id, family in cases.items():
        assert br.family_of(model_id) == family, model_id
    for other in ("amazon.titan-embed-text-v2:0", "stability.sd3-large-v1:0", "", None,
                  "arn:aws:bedrock:us-east-1:1:application-inference-profile/a1b2c3"):  # fmt: skip
        assert br.family_of(other) is None, other
    assert set(br.FAMILIES) == {"anthropic", "nova", "llama", "mistral", "ai21", "cohere",
                                "openai", "deepseek", "titan"}  # fmt: skip


def test_family_detected_from_each_first_chunk() -> None:
    for name, (model_id, bodies) in FIXTURES.items():
        expected = "ai21" if name == "mistral chat" else br.family_of(model_id)
        assert br.detect_family(bodies[0]) == expected, name
    for other in ({"foo": 1}, [1], "text", None, {"type": "nonsense"}):
        assert br.detect_family(other) is None


def test_stop_reasons_map_to_converse_and_keep_the_model_s_own() -> None:
    reader = br.ChunkReader(model_id="meta.llama3-8b-instruct-v1:0")
    events = [e for body in LLAMA for e in reader.read(body)]
    (stop,) = [e for e in events if isinstance(e, br.MessageStop)]
    assert (stop.stop_reason, dict(stop.extra)) == ("max_tokens", {"modelStopReason": "length"})
    # A value the table does not know passes on as the model wrote it.
    result = _read([{"generation": "x", "stop_reason": "something_new", INVOCATION: METRICS}])
    assert result.stop_reason == "something_new"
    # Converse has no pause_turn: an Anthropic stop reason without a twin stays as it is.
    body = {"type": "message_delta", "delta": {"stop_reason": "pause_turn"}, "usage": {}}
    (event,) = br.chunk_events("anthropic", body)
    assert isinstance(event, br.MessageStop)
    assert (event.stop_reason, dict(event.extra)) == ("pause_turn", {})
    cohere = br.FAMILIES["cohere"].stop_reasons
    assert (cohere["MAX_TOKENS"], cohere["ERROR_TOXIC"]) == ("max_tokens", "content_filtered")


def test_converse_events_of_each_family_are_what_converse_sends() -> None:
    # The reader's events in order: one message start first, every block stopped before the
    # message stop, the metadata last.
    for name, (model_id, bodies) in FIXTURES.items():
        reader = br.ChunkReader(model_id=model_id)
        events = [e for body in bodies for e in reader.read(body)]
        assert isinstance(events[0], br.MessageStart), name
        assert isinstance(events[-1], br.Metadata) and isinstance(events[-2], br.MessageStop)
        opened = {e.content_block_index for e in events if isinstance(e, br.ContentBlockDelta)}
        stopped = {e.content_block_index for e in events if isinstance(e, br.ContentBlockStop)}
        assert opened <= stopped, name
        assert reader.ended and reader.family == br.family_of(model_id)


def _botocore_reads(data: bytes) -> list[dict[str, Any]]:
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    shape = model.operation_model("ConverseStream").output_shape.members["stream"]

    class Raw:
        def stream(self) -> Iterator[bytes]:
            yield data

    parser = botocore.parsers.EventStreamJSONParser()
    return list(botocore.eventstream.EventStream(Raw(), shape, parser, "ConverseStream"))


def _as_converse_stream(model_id: str, bodies: list[dict[str, Any]]) -> bytes:
    reader = br.ChunkReader(model_id=model_id)
    events = [e for body in bodies for e in reader.read(body)]
    assert not any(isinstance(e, br.ChunkError) for e in events)
    return b"".join(br.encode_event(e).encode() for e in events if not isinstance(e, br.ChunkError))


@pytest.mark.parametrize("name", FIXTURES)
def test_each_family_sent_on_as_converse_stream_reads_the_same_in_botocore(name: str) -> None:
    model_id, bodies = FIXTURES[name]
    data = _as_converse_stream(model_id, bodies)
    read = _botocore_reads(data)  # the stranger: boto3's own parser of the ConverseStream
    text = "".join(e["contentBlockDelta"]["delta"].get("text", "") for e in read
                   if "contentBlockDelta" in e)  # fmt: skip
    stop = next(e["messageStop"]["stopReason"] for e in read if "messageStop" in e)
    usage = next(e["metadata"]["usage"] for e in read if "metadata" in e)
    invoked = _read(bodies, model_id=model_id)
    assert (text, stop) == (invoked.text, invoked.stop_reason)
    assert invoked.usage is not None and usage["outputTokens"] == invoked.usage.output_tokens
    again = br.reassemble(br.events([data], "converse"))
    assert (again.content, again.stop_reason, again.usage) == (
        invoked.content, invoked.stop_reason, invoked.usage,
    )  # fmt: skip


def test_anthropic_thinking_redacted_citations_tools_and_figures() -> None:
    result = _read(ANTHROPIC)
    thinking, redacted, text, tool = result.content
    assert thinking == br.ReasoningBlock("Check the doc.", "EqQBCkYI")
    assert redacted == br.ReasoningBlock("", None, b"\x00\x01\x02")
    assert isinstance(text, br.TextBlock)
    (citation,) = text.citations
    assert citation.title == "Facts" and citation.location is not None
    assert citation.location.document_char == br.DocumentSpan(document_index=0, start=0, end=14)
    assert citation.source_content == (br.CitationSourceContent(text="grass is green"),)
    assert tool == br.ToolUseBlock("toolu_bdrk_9", "lookup", {"q": "grass"}, '{"q": "grass"}', True)
    # Cache read and creation tokens in Converse's names; the total counts them too.
    assert result.usage == br.Usage(
        input_tokens=5, output_tokens=30, total_tokens=175, cache_read_input_tokens=40,
        cache_write_input_tokens=100, cache_details=(br.CacheDetail(ttl="5m", input_tokens=100),),
    )  # fmt: skip
    assert result.metrics == br.Metrics(
        latency_ms=400,
        extra={"inputTokenCount": 145, "outputTokenCount": 30, "firstByteLatency": 100},
    )
    assert (result.model, result.id, result.family) == ("claude-x", "msg_bdrk_1", "anthropic")
    anthropic = result.to_anthropic()["usage"]
    assert anthropic == {
        "input_tokens": 5,
        "output_tokens": 30,
        "cache_creation_input_tokens": 100,
        "cache_read_input_tokens": 40,
    }


def test_input_tokens_are_known_from_the_first_chunk() -> None:
    # A gateway sends usage before the end (bifrost #5629: input tokens missing on egress).
    reader = br.ChunkReader("anthropic")
    reader.read(ANTHROPIC[0])
    assert reader.usage is not None and reader.usage.input_tokens == 5
    assert (reader.model, reader.message_id) == ("claude-x", "msg_bdrk_1")
    reassembler = br.Reassembler()
    reassembler.add(_chunks(ANTHROPIC[0])[0])
    partial = reassembler.result()
    assert partial.usage is not None and partial.usage.cache_read_input_tokens == 40
    assert not partial.complete


def test_openai_usage_counts_cached_prompt_tokens_apart() -> None:
    result = _read(OPENAI)
    assert result.usage == br.Usage(
        input_tokens=12, output_tokens=3, total_tokens=55, cache_read_input_tokens=40
    )
    reasoning = result.content[0]
    assert reasoning == br.ReasoningBlock("Two cities.")
    assert (result.model, result.id) == ("openai.gpt-oss-20b-1:0", "chatcmpl-7")
    # Parallel calls keep their own blocks (litellm #15307, vercel/ai #3068).
    assert [t.id for t in result.tool_uses] == ["call_a", "call_b"]


def test_usage_from_invocation_metrics_where_the_family_gives_none() -> None:
    result = _read(MISTRAL)
    assert result.usage == br.Usage(input_tokens=12, output_tokens=3, total_tokens=15)


def test_unknown_formats_keep_their_chunks_and_say_so() -> None:
    bodies = [{"foo": 1}, {"foo": 2}]
    result = _read(bodies)
    assert result.content == () and result.unknown_chunks == ({"foo": 1}, {"foo": 2})
    assert result.status == (
        "incomplete: 2 chunks in a format this library does not read, kept in unknown_chunks"
    )
    assert ("content", "(none: 2 chunks in a format this library does not read, kept in "
            "unknown_chunks)") in result.rows()  # fmt: skip
    assert not result.complete and result.family is None
    # Of a known family, a chunk that fits none of its layouts is kept too.
    mixed = _read([*LLAMA[:1], {"foo": 3}, *LLAMA[1:]])
    assert mixed.text == "Hello there" and mixed.unknown_chunks == ({"foo": 3},)
    assert ("unread", "1 chunk in a format this library does not read (family llama), kept "
            "in unknown_chunks") in mixed.rows()  # fmt: skip


def test_chunk_events_of_one_chunk() -> None:
    delta = {"type": "content_block_delta", "index": 2,
             "delta": {"type": "text_delta", "text": "hi"}}  # fmt: skip
    assert br.chunk_events("auto", delta) == [
        br.ContentBlockDelta(content_block_index=2, delta=br.TextDelta(text="hi"))
    ]
    start = {"type": "content_block_start", "index": 0,
             "content_block": {"type": "redacted_thinking", "data": "AAEC"}}  # fmt: skip
    assert br.chunk_events("anthropic", start) == [
        br.ContentBlockDelta(
            content_block_index=0, delta=br.ReasoningContentDelta(redacted_content=b"\0\1\2")
        )
    ]
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    assert br.chunk_events("anthropic", error) == [br.ChunkError("overloaded_error", "Overloaded")]
    assert br.chunk_events("llama", {"foo": 1}) == []
    with pytest.raises(es.EventStreamError, match="family must be"):
        br.ChunkReader("gpt")  # type: ignore[arg-type]
    with pytest.raises(es.EventStreamError, match="family must be"):
        br.Reassembler("gpt")  # type: ignore[arg-type]


def test_a_family_given_reads_only_its_own_layouts() -> None:
    result = _read(LLAMA, family="mistral")
    assert result.content == () and len(result.unknown_chunks) == 3
    assert _read(LLAMA, family="llama").text == "Hello there"


@pytest.mark.parametrize(
    "body",
    [
        {"generation": 5, "prompt_token_count": "many", "stop_reason": ["x"]},
        {"choices": [{"delta": {"content": 3, "tool_calls": [7, {"function": "f"}]}}]},
        {
            "choices": [{"delta": {"tool_calls": [{"index": True, "function": {"arguments": 1}}]}}],
            "usage": {"prompt_tokens": True},
        },
        {"outputs": [None]},
        {"event_type": "tool-calls-generation", "tool_calls": [{"parameters": [1]}, 2]},
        {"messageStop": {"stopReason": 1}},
        {"metadata": [], INVOCATION: {"invocationLatency": "soon"}},
        {"contentBlockDelta": {"delta": {"nothing": {}}, "contentBlockIndex": 0}},
    ],
)
def test_odd_values_leave_facts_out_and_never_raise(body: dict[str, Any]) -> None:
    for family in ("auto", *br.FAMILIES):
        result = _read([body, body], family=family)
        assert isinstance(result.rows(), list)
        assert all(e.type in ("invalid_chunk", "message_restarted") for e in result.errors)


# --- the real captures -------------------------------------------------------------------


def _capture(name: str) -> br.Reassembled:
    data = shared_path("captures", name).read_bytes()
    return br.reassemble(br.events([data], "invoke", raise_exceptions=False))


def test_ai21_captures_reassemble() -> None:
    first = _capture("ai21-python_invoke_chunk_v1.bin")
    assert (first.text, first.role, first.family) == ("I", "assistant", "ai21")
    assert first.status == "incomplete: the stream ended before its last event"
    second = _capture("ai21-python_invoke_chunk_v2.bin")
    assert (second.role, second.id, second.family) == (
        "assistant", "cmpl-981f7f176ad441459b94e45ee292a321", "ai21",
    )  # fmt: skip
    assert second.usage == br.Usage(input_tokens=44, output_tokens=0, total_tokens=44)
    assert second.content == () and second.unknown_chunks == ()


def test_claude_captures_read_as_the_anthropic_family() -> None:
    for name in ("envoy-ai-gateway_invoke-stream_claude-sonnet-4-5.bin",
                 "aimock_invoke-stream_claude-sonnet-4-5_tool_max_tokens.bin"):  # fmt: skip
        auto = _capture(name)
        data = shared_path("captures", name).read_bytes()
        model_id = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
        given = br.reassemble(br.events([data], "invoke"), model_id=model_id)
        assert auto == given and auto.family == "anthropic"


# --- the Anthropic path, as before -------------------------------------------------------


def _old_entry_point(events: tuple[br.TypedEvent, ...]) -> br.Reassembled:
    # The entry point the capture tools used: the chunk read by read_anthropic first.
    reassembler = br.Reassembler()
    for event in events:
        if isinstance(event, br.Chunk) and event.bytes is not None:
            try:
                value = json.loads(event.bytes)
            except ValueError:
                reassembler.add(event)
                continue
            reassembler.add_anthropic(br.read_anthropic(value))
        else:
            reassembler.add(event)
    return reassembler.result()


_ANTHROPIC_STREAMS = st.one_of(
    bs.invoke_streams(interleave=True),
    bs.interrupted_streams("invoke"),
    bs.malformed_streams("invoke"),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ANTHROPIC_STREAMS)
def test_the_anthropic_path_gives_the_answer_it_gave_before(drawn: bs.BedrockStream) -> None:
    # The strategies' answers were written for the reader before families (only Anthropic's
    # citations, ignored then, now count); every way in gives them.
    result = br.reassemble(drawn.events)
    assert drawn.matches(result)
    assert _old_entry_point(drawn.events) == result
    model_id = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert br.reassemble(drawn.events, model_id=model_id) == result
    assert br.reassemble(drawn.events, family="anthropic") == result


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bs.invoke_streams())
def test_anthropic_streams_sent_on_as_converse_reassemble_the_same(drawn: bs.BedrockStream) -> None:
    reader = br.ChunkReader("anthropic")
    chunks = [ev for ev in drawn.events if isinstance(ev, br.Chunk)]
    events = [e for ev in chunks for e in reader.read(json.loads(ev.bytes or b"{}"))]
    data = b"".join(br.encode_event(e).encode() for e in events if not isinstance(e, br.ChunkError))
    assert len(_botocore_reads(data)) == len(events)
    again = br.reassemble(br.events([data], "converse"))
    invoked = br.reassemble(drawn.events)
    assert (again.content, again.stop_reason, again.usage, again.metrics, again.complete) == (
        invoked.content, invoked.stop_reason, invoked.usage, invoked.metrics, invoked.complete,
    )  # fmt: skip
    assert (again.model, again.id) == (invoked.model, invoked.id)  # carried in extra
    assert again.stop_sequence == invoked.stop_sequence  # in additionalModelResponseFields


def test_converse_stop_reasons_are_botocore_s_and_others_are_noted() -> None:
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    assert set(model.shape_for("StopReason").enum) == br.CONVERSE_STOP_REASONS
    mapped = {v for table in br.FAMILIES.values() for v in table.stop_reasons.values()}
    assert mapped <= br.CONVERSE_STOP_REASONS  # every table maps into Converse's words
    body = {"type": "message_delta", "delta": {"stop_reason": "refusal"}, "usage": {}}
    result = _read([body])
    assert result.notes == ("stop reason 'refusal' is not one of Converse's",)
    assert ("note", "stop reason 'refusal' is not one of Converse's") in result.rows()
    assert _read(LLAMA).notes == ()


# --- docs/bedrock.md -----------------------------------------------------------------------

DOC = Path(__file__).resolve().parent.parent / "docs" / "bedrock.md"


def _path_text(path: tuple[str | int, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def _layout_text(layout: br.ChunkFormat) -> str:
    return {
        "anthropic": "Anthropic Messages events",
        "converse": "one Converse event per chunk",
        "chat": "chat-completion chunks",
    }.get(layout.kind) or f"`{_path_text(layout.text[0])}`"


def test_docs_family_table_is_the_families() -> None:
    expected = [
        [
            f"`{table.name}`",
            ", ".join(f"`{prefix}`" for prefix in table.model_prefixes),
            "; ".join(_layout_text(layout) for layout in table.formats),
            ", ".join(f"`{k}` → `{v}`" for k, v in table.stop_reasons.items()) or "Converse's own",
        ]
        for table in br.FAMILIES.values()
    ]
    marker = "<!-- generated from eventstream.bedrock.FAMILIES"
    assert table_after(DOC.read_text(encoding="utf-8"), marker) == expected


def test_docs_reassembly_example_prints_what_it_says(capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Reassembly, and the model families") :]
    (block, *_) = python_blocks(section)
    exec(block.compiled(str(DOC)), {})
    said = block.code.rstrip().splitlines()[-1].removeprefix("# ")
    assert capsys.readouterr().out == said + "\n"


def test_the_figures_in_a_chunk_of_their_own_end_the_stream() -> None:
    # Bedrock's metrics alone in a last chunk, and OpenAI's usage chunk with no choices.
    nova = _read([*NOVA[:-1], {"metadata": {"usage": {"inputTokens": 12, "outputTokens": 3}}},
                  {INVOCATION: METRICS}])  # fmt: skip
    assert (nova.complete, nova.unknown_chunks, nova.errors) == (True, (), ())
    assert nova.metrics is not None and nova.metrics.extra["firstByteLatency"] == 100
    *body, last = OPENAI
    finish = {k: v for k, v in last.items() if k not in ("usage", INVOCATION)}
    usage = {"id": "chatcmpl-7", "object": "chat.completion.chunk", "choices": [],
             "usage": last["usage"], INVOCATION: METRICS}  # fmt: skip
    openai = _read([*body, finish, usage])
    assert (openai.stop_reason, openai.complete, openai.unknown_chunks) == ("tool_use", True, ())
    assert openai.usage is not None and openai.usage.cache_read_input_tokens == 40
    ai21 = _read([*AI21[:-1], {"choices": [], "usage": {"prompt_tokens": 12,
                                                         "completion_tokens": 9}}])  # fmt: skip
    assert ai21.unknown_chunks == () and ai21.usage is not None
    assert ai21.usage.output_tokens == 9


def test_a_typed_chunk_is_read_as_its_bytes() -> None:
    reader = br.ChunkReader("llama")
    (chunk,) = _chunks(LLAMA[0])
    assert reader.read_chunk(chunk) == [
        br.MessageStart(role="assistant"),
        br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="Hello")),
    ]
    assert reader.read_chunk(br.Chunk(bytes=b"{not json")) == [
        br.ChunkError("invalid_chunk", "a chunk's bytes are not JSON")
    ]
    assert reader.read_chunk(br.Chunk()) == []


def test_deepseek_in_llama_s_layout_is_read_by_its_model_id() -> None:
    # The distilled R1 models answer as Llama does (langchain-aws #353).
    result = _read(LLAMA, model_id="us.deepseek.r1-v1:0")
    assert (result.text, result.family, result.stop_reason) == ("Hello there", "deepseek",
                                                                "max_tokens")  # fmt: skip
    assert _read(LLAMA).family == "llama"  # without the id: named by its layout


# --- every family, drawn: the text cut anywhere, the figures at the end --------------------

_PIECES = st.lists(st.text(st.characters(exclude_categories=["Cs"]), max_size=12), max_size=8)


def _drawn_chunks(family: str, pieces: list[str], stop: str) -> list[dict[str, Any]]:
    """The chunks ``family`` sends for ``pieces`` of text, as its published layout has them."""
    last: dict[str, Any] = {INVOCATION: METRICS}
    if family == "llama":
        bodies = [{"generation": p, "stop_reason": None} for p in pieces]
        last.update(generation="", stop_reason=stop)
    elif family == "titan":
        bodies = [{"outputText": p, "completionReason": None} for p in pieces]
        last.update(outputText="", completionReason=stop)
    elif family == "mistral":
        bodies = [{"outputs": [{"text": p, "stop_reason": None}]} for p in pieces]
        last.update(outputs=[{"text": "", "stop_reason": stop}])
    elif family == "deepseek":
        bodies = [{"choices": [{"text": p, "stop_reason": None}]} for p in pieces]
        last.update(choices=[{"text": "", "stop_reason": stop}])
    elif family == "cohere":
        bodies = [{"event_type": "text-generation", "text": p, "is_finished": False}
                  for p in pieces]  # fmt: skip
        last.update(event_type="stream-end", is_finished=True, finish_reason=stop,
                    response={"text": "".join(pieces)})  # fmt: skip
    elif family == "nova":
        bodies = [{"contentBlockDelta": {"delta": {"text": p}, "contentBlockIndex": 0}}
                  for p in pieces]  # fmt: skip
        bodies = [{"messageStart": {"role": "assistant"}}, *bodies,
                  {"contentBlockStop": {"contentBlockIndex": 0}},
                  {"messageStop": {"stopReason": stop}}]  # fmt: skip
        last.update(metadata={"usage": {"inputTokens": 12, "outputTokens": 3}})
    else:  # openai and ai21: chat-completion chunks
        head = {"object": "chat.completion.chunk"} if family == "openai" else {}
        bodies = [{**head, "choices": [{"index": 0, "delta": {"content": p},
                                        "finish_reason": None}]} for p in pieces]  # fmt: skip
        last.update(head, choices=[{"index": 0, "delta": {}, "finish_reason": stop}])
    return [*bodies, last]


_STOPS = {  # each family's word for a natural end, and for the length limit
    "llama": ("stop", "length"), "titan": ("FINISH", "LENGTH"), "mistral": ("stop", "length"),
    "deepseek": ("stop", "length"), "cohere": ("COMPLETE", "MAX_TOKENS"),
    "nova": ("end_turn", "max_tokens"), "openai": ("stop", "length"), "ai21": ("stop", "length"),
}  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(_STOPS)), _PIECES, st.booleans(), st.booleans())
def test_every_family_reassembles_its_text_cut_anywhere(
    family: str, pieces: list[str], cut: bool, by_id: bool
) -> None:
    stop = _STOPS[family][cut]
    bodies = _drawn_chunks(family, pieces, stop)
    kwargs = {"family": family} if by_id else {}
    result = _read(bodies, **kwargs)
    assert result.text == "".join(pieces)
    assert result.stop_reason == ("max_tokens" if cut else "end_turn")
    assert (result.complete, result.errors, result.unknown_chunks) == (True, (), ())
    assert result.usage is not None and (result.usage.input_tokens, result.usage.output_tokens) \
        == (12, 3)  # fmt: skip
    assert result.family == family  # given, or told by the layout


# --- Claude's text deltas take a shortcut: the same events as the general reader --------------

_DELTA_VARIANTS: list[Any] = [
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
    {"type": "content_block_delta", "index": 3, "delta": {"type": "text_delta", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": None}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta"}},
    {"type": "content_block_delta", "index": True, "delta": {"type": "text_delta", "text": "x"}},
    {"type": "content_block_delta", "index": "0", "delta": {"type": "text_delta", "text": "x"}},
    {"type": "content_block_delta", "index": 0, "delta": "text"},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "text": "x"}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": 5}},
    {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "x"}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x"},
     "extra": 1},
]  # fmt: skip


@pytest.mark.parametrize("chunk_json", _DELTA_VARIANTS)
def test_the_anthropic_text_delta_shortcut_gives_the_general_reader_s_events(
    chunk_json: Any,
) -> None:
    fast = br.ChunkReader("anthropic")
    general = br.ChunkReader("anthropic")
    got = fast._read_all(chunk_json)
    expected = general._anthropic(br.read_anthropic(chunk_json))
    assert got == expected
    assert [type(e) for e in got] == [type(e) for e in expected]
    assert fast.unknown == general.unknown


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(), st.integers(0, 2**40))
def test_any_text_delta_reassembles_as_before(text: str, index: int) -> None:
    body = {"type": "content_block_delta", "index": index,
            "delta": {"type": "text_delta", "text": text}}  # fmt: skip
    reader = br.ChunkReader("anthropic")
    assert reader._read_all(body) == reader._anthropic(br.read_anthropic(body))
