"""Reassembly of a stream into the final message, on real captures and built streams."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eventstream import bedrock as br
from tests.support import shared_path


def _capture(name: str, stream: br.StreamName) -> br.Reassembled:
    data = shared_path("captures", name).read_bytes()
    return br.reassemble(br.events([data], stream, raise_exceptions=False))


def test_invoke_text_capture() -> None:
    result = _capture("envoy-ai-gateway_invoke-stream_claude-sonnet-4-5.bin", "invoke")
    assert result.text == "Hi! 👋 How are you doing today?"
    assert (result.stop_reason, result.complete, result.role) == ("end_turn", True, "assistant")
    assert result.model == "claude-sonnet-4-5-20250929"
    assert result.id == "msg_bdrk_012GBPzpcoMCLP1b2pcJsSHk"
    assert result.metrics == {
        "inputTokenCount": 10,
        "outputTokenCount": 15,
        "invocationLatency": 1798,
        "firstByteLatency": 1507,
    }
    assert result.usage["output_tokens"] == 15
    response = result.to_anthropic()
    assert response["content"] == [{"type": "text", "text": "Hi! 👋 How are you doing today?"}]
    assert response["stop_reason"] == "end_turn"


def test_invoke_tool_use_cut_by_max_tokens_has_no_stop() -> None:
    result = _capture("aimock_invoke-stream_claude-sonnet-4-5_tool_max_tokens.bin", "invoke")
    (tool,) = result.tool_uses
    assert (tool.id, tool.name) == ("toolu_bdrk_0173ctUSHAMeHcosVSXzrTXc", "record_numbers")
    assert tool.complete is False  # no content_block_stop arrived
    assert tool.input == {}
    assert result.stop_reason == "max_tokens"
    assert result.metrics["invocationLatency"] == 1635


def test_converse_tool_capture() -> None:
    result = _capture("aimock_converse-stream_claude-sonnet-4-5_tool_max_tokens.bin", "converse")
    (tool,) = result.tool_uses
    assert (tool.id, tool.name, tool.complete) == (
        "tooluse_oDRMhb7dEtfdOkCjisQipC", "record_numbers", True,
    )  # fmt: skip
    assert result.usage == {
        "inputTokens": 692, "outputTokens": 32, "totalTokens": 724, "serverToolUsage": {},
    }  # fmt: skip
    assert result.to_converse()["metrics"] == {"latencyMs": 1484}


def test_converse_text_without_block_start() -> None:
    for name, word in [
        ("llm-bedrock_converse-stream_nova-lite_1.bin", "Paris"),
        ("llm-bedrock_converse-stream_nova-lite_2.bin", "Berlin"),
    ]:
        result = _capture(name, "converse")
        assert result.text == word
        assert result.to_converse()["output"] == {
            "message": {"role": "assistant", "content": [{"text": word}]}
        }


def test_reasoning_excerpt_keeps_signature() -> None:
    result = _capture("aimock_converse-stream_claude-sonnet-4-5_reasoning_excerpt.bin", "converse")
    reasoning, text = result.content
    assert isinstance(reasoning, br.ReasoningBlock)
    assert reasoning.text == ""
    assert reasoning.signature is not None
    assert reasoning.signature.startswith("Es0KCn4IEhABGAIqQ")
    assert text == br.TextBlock("#")
    assert result.complete is False  # an excerpt: no metadata at the end


def _chunk(body: dict[str, Any]) -> br.Chunk:
    return br.Chunk(bytes=json.dumps(body).encode())


def test_anthropic_tool_input_split_across_deltas_and_in_band_error() -> None:
    events: list[br.TypedEvent] = [
        _chunk({"type": "message_start", "message": {"id": "m1", "role": "assistant"}}),
        _chunk({"type": "content_block_start", "index": 0,
                "content_block": {"type": "thinking", "thinking": ""}}),
        _chunk({"type": "content_block_delta", "index": 0,
                "delta": {"type": "thinking_delta", "thinking": "Need weather."}}),
        _chunk({"type": "content_block_delta", "index": 0,
                "delta": {"type": "signature_delta", "signature": "EqQB"}}),
        _chunk({"type": "content_block_stop", "index": 0}),
        _chunk({"type": "content_block_start", "index": 1,
                "content_block": {"type": "tool_use", "id": "t1", "name": "weather", "input": {}}}),
        _chunk({"type": "content_block_delta", "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": '{"city": "Pa'}}),
        _chunk({"type": "content_block_delta", "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": 'ris"}'}}),
        _chunk({"type": "content_block_stop", "index": 1}),
        _chunk({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ]  # fmt: skip
    result = br.reassemble(events)
    thinking, tool = result.content
    assert thinking == br.ReasoningBlock("Need weather.", "EqQB")
    assert tool == br.ToolUseBlock("t1", "weather", {"city": "Paris"}, '{"city": "Paris"}', True)
    assert result.errors == (br.StreamError("overloaded_error", "Overloaded"),)
    assert result.complete is False
    assert result.to_anthropic()["content"][0] == {
        "type": "thinking", "thinking": "Need weather.", "signature": "EqQB",
    }  # fmt: skip


def test_converse_exception_and_partial_tool_input() -> None:
    events: list[br.TypedEvent] = [
        br.MessageStart(role="assistant"),
        br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="Checking ")),
        br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="now.")),
        br.ContentBlockStop(content_block_index=0),
        br.ContentBlockStart(
            content_block_index=1, start=br.ToolUseStart(tool_use_id="t9", name="lookup")
        ),
        br.ContentBlockDelta(content_block_index=1, delta=br.ToolUseDelta(input='{"q": "un')),
        br.ThrottlingException("Too many requests"),
    ]
    result = br.reassemble(events)
    assert result.text == "Checking now."
    (tool,) = result.tool_uses
    assert (tool.input, tool.input_json, tool.complete) == (None, '{"q": "un', False)
    assert result.errors == (br.StreamError("throttlingException", "Too many requests", 429, True),)


def test_reassembler_is_incremental() -> None:
    reassembler = br.Reassembler()
    reassembler.add(br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="a")))
    assert reassembler.result().text == "a"
    reassembler.add(br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="b")))
    reassembler.add(br.MessageStop(stop_reason="end_turn"))
    reassembler.add(
        br.Metadata(
            usage=br.Usage(input_tokens=1, output_tokens=2, total_tokens=3),
            metrics=br.Metrics(latency_ms=5),
        )
    )
    result = reassembler.result()
    assert (result.text, result.stop_reason, result.complete) == ("ab", "end_turn", True)
    assert result.to_converse()["usage"] == {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3}


@pytest.mark.parametrize("payload", [b"not json", b"[1]", b'{"type": "ping"}'])
def test_odd_chunks_do_not_break_reassembly(payload: bytes) -> None:
    result = br.reassemble([br.Chunk(bytes=payload)])
    assert result.content == ()
    assert len(result.errors) == (1 if payload == b"not json" else 0)
