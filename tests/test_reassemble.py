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
    # Converse's terms: invocationLatency is the latency, the other figures stay beside it.
    assert result.metrics == br.Metrics(
        latency_ms=1798,
        extra={"inputTokenCount": 10, "outputTokenCount": 15, "firstByteLatency": 1507},
    )
    assert result.usage == br.Usage(
        input_tokens=10, output_tokens=15, total_tokens=25,
        cache_read_input_tokens=0, cache_write_input_tokens=0,
    )  # fmt: skip
    assert result.family == "anthropic"
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
    assert result.metrics is not None and result.metrics.latency_ms == 1635


def test_converse_tool_capture() -> None:
    result = _capture("aimock_converse-stream_claude-sonnet-4-5_tool_max_tokens.bin", "converse")
    (tool,) = result.tool_uses
    assert (tool.id, tool.name, tool.complete) == (
        "tooluse_oDRMhb7dEtfdOkCjisQipC", "record_numbers", True,
    )  # fmt: skip
    assert result.usage == br.Usage(
        input_tokens=692, output_tokens=32, total_tokens=724, extra={"serverToolUsage": {}}
    )
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
    reassembler.add(br.MessageStart(role="assistant"))
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


# --- what the reassembler once let through (each failed before it was fixed) ---------------


def _converse_end(stop: str = "end_turn") -> list[br.TypedEvent]:
    return [
        br.MessageStop(stop_reason=stop),
        br.Metadata(
            usage=br.Usage(input_tokens=1, output_tokens=2, total_tokens=3),
            metrics=br.Metrics(latency_ms=5),
        ),
    ]


def test_a_tool_use_delta_that_no_start_opened_is_flagged() -> None:
    events: list[br.TypedEvent] = [
        br.MessageStart(role="assistant"),
        br.ContentBlockDelta(content_block_index=0, delta=br.ToolUseDelta(input='{"a": 1}')),
        br.ContentBlockStop(content_block_index=0),
        *_converse_end("tool_use"),
    ]
    result = br.reassemble(events)
    assert [e.type for e in result.errors] == ["misplaced_delta"]
    assert "no start opened" in result.errors[0].message
    assert not result.complete
    # The same in Anthropic's format: input_json_delta without content_block_start.
    chunks = [
        _chunk({"type": "message_start", "message": {"role": "assistant"}}),
        _chunk({"type": "content_block_delta", "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": "{}"}}),
        _chunk({"type": "content_block_stop", "index": 0}),
        _chunk({"type": "message_delta", "delta": {"stop_reason": "tool_use"}}),
        _chunk({"type": "message_stop"}),
    ]  # fmt: skip
    assert [e.type for e in br.reassemble(chunks).errors] == ["misplaced_delta"]
    # A start after the delta is a restart, reported once (as before).
    late = [events[0], events[1], br.ContentBlockStart(
        content_block_index=0, start=br.ToolUseStart(tool_use_id="t", name="f"))]  # fmt: skip
    assert [e.type for e in br.reassemble(late).errors] == ["block_restarted"]


def test_invoke_citations_delta_is_kept_with_its_text() -> None:
    citation = {
        "type": "web_search_result_location",
        "cited_text": "tides rise",
        "url": "https://example.com/tides",
        "title": "Tides",
        "encrypted_index": "Eo8",
    }
    events = [
        _chunk({"type": "content_block_start", "index": 0,
                "content_block": {"type": "text", "text": ""}}),
        _chunk({"type": "content_block_delta", "index": 0,
                "delta": {"type": "citations_delta", "citation": citation}}),
        _chunk({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": "Tides rise twice a day."}}),
        _chunk({"type": "content_block_stop", "index": 0}),
    ]  # fmt: skip
    (block,) = br.reassemble(events).content
    assert isinstance(block, br.TextBlock) and block.text == "Tides rise twice a day."
    assert block.citations == (
        br.CitationDelta(
            title="Tides",
            source_content=(br.CitationSourceContent(text="tides rise"),),
            location=br.CitationLocation(web=br.WebLocation(url="https://example.com/tides")),
            extra={"encrypted_index": "Eo8"},
        ),
    )


def test_tool_result_and_image_blocks_are_assembled() -> None:
    events: list[br.TypedEvent] = [
        br.MessageStart(role="assistant"),
        br.ContentBlockStart(
            content_block_index=0,
            start=br.ToolResultStart(tool_use_id="t1", type="web_search", status="success"),
        ),
        br.ContentBlockDelta(
            content_block_index=0,
            delta=br.ToolResultDelta(blocks=(br.ToolResultBlockDelta(text="42 results"),)),
        ),
        br.ContentBlockDelta(
            content_block_index=0,
            delta=br.ToolResultDelta(blocks=(br.ToolResultBlockDelta(json={"top": 1}),)),
        ),
        br.ContentBlockStop(content_block_index=0),
        br.ContentBlockStart(content_block_index=1, start=br.ImageStart(format="png")),
        br.ContentBlockDelta(
            content_block_index=1,
            delta=br.ImageDelta(source=br.ImageSource(bytes=b"\x89PN")),
        ),
        br.ContentBlockDelta(
            content_block_index=1, delta=br.ImageDelta(source=br.ImageSource(bytes=b"G"))
        ),
        br.ContentBlockStop(content_block_index=1),
        *_converse_end(),
    ]
    result = br.reassemble(events)
    tool_result, image = result.content
    assert tool_result == br.ToolResultBlock(
        "t1",
        (br.ToolResultBlockDelta(text="42 results"), br.ToolResultBlockDelta(json={"top": 1})),
        "web_search",
        "success",
    )
    assert tool_result.text == "42 results"
    assert image == br.ImageBlock("png", b"\x89PNG")
    assert (result.errors, result.complete) == ((), True)
    assert result.to_converse()["output"]["message"]["content"] == [
        {"toolResult": {"toolUseId": "t1", "content": [{"text": "42 results"},
                                                       {"json": {"top": 1}}],
                        "status": "success"}},
        {"image": {"format": "png", "source": {"bytes": b"\x89PNG"}}},
    ]  # fmt: skip
    assert ("image", "png, 4 bytes") in result.rows()
    assert ("tool result", 'id=t1  status=success\n42 results\n{"top":1}') in result.rows()


def test_a_message_start_or_metadata_after_the_end_is_flagged() -> None:
    start = br.MessageStart(role="assistant")
    text = br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="a"))
    ended = [start, text, *_converse_end()]
    for extra in ([start], [_converse_end()[1]], [_converse_end()[0]]):
        result = br.reassemble([*ended, *extra])
        assert [e.type for e in result.errors] == ["event_after_end"], extra
        assert not result.complete
    # Two streams run together before the end: the second start is reported.
    glued = br.reassemble([start, text, start, text, *_converse_end()])
    assert [e.type for e in glued.errors] == ["message_restarted"]
    # In Anthropic's format too: a message_start or message_stop after message_stop.
    stop = _chunk({"type": "message_stop"})
    again = _chunk({"type": "message_start", "message": {"role": "assistant"}})
    reason = _chunk({"type": "message_delta", "delta": {"stop_reason": "end_turn"}})
    assert [e.type for e in br.reassemble([again, reason, stop, again]).errors] == [
        "event_after_end"
    ]
    assert [e.type for e in br.reassemble([again, reason, stop, stop]).errors] == [
        "event_after_end"
    ]


def test_content_before_the_message_start_is_flagged_once() -> None:
    # Reported as complete before: a gateway that reorders events must not pass.
    text = br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="a"))
    other = br.ContentBlockDelta(content_block_index=1, delta=br.TextDelta(text="b"))
    start = br.MessageStart(role="assistant")
    for events in ([text, other, start, *_converse_end()], [text, other, *_converse_end()]):
        result = br.reassemble(events)
        assert [e.type for e in result.errors] == ["event_before_start"], events
        assert "content block 0 before the message start" in result.errors[0].message
        assert not result.complete
    stop_first = br.reassemble([_converse_end()[0], start, text])
    assert [e.type for e in stop_first.errors] == ["event_before_start"]
    # In Anthropic's format: a delta before message_start.
    chunks = [
        _chunk({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": "a"}}),
        _chunk({"type": "message_start", "message": {"role": "assistant"}}),
        _chunk({"type": "message_delta", "delta": {"stop_reason": "end_turn"}}),
        _chunk({"type": "message_stop"}),
    ]  # fmt: skip
    assert [e.type for e in br.reassemble(chunks).errors] == ["event_before_start"]


def test_metadata_without_a_message_stop_is_flagged() -> None:
    # Reported as complete before, with no stop reason: a dropped messageStop must not pass.
    start = br.MessageStart(role="assistant")
    text = br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="a"))
    result = br.reassemble([start, text, br.ContentBlockStop(content_block_index=0),
                            _converse_end()[1]])  # fmt: skip
    assert [e.type for e in result.errors] == ["missing_stop"]
    assert (result.stop_reason, result.complete, result.text) == (None, False, "a")
    # Anthropic's format: message_stop with no message_delta giving the stop reason.
    chunks = [_chunk({"type": "message_start", "message": {"role": "assistant"}}),
              _chunk({"type": "message_stop"})]  # fmt: skip
    assert [e.type for e in br.reassemble(chunks).errors] == ["missing_stop"]


def test_usage_and_metrics_are_typed_whatever_the_stream() -> None:
    converse = br.reassemble(
        [
            br.MessageStart(role="assistant"),
            br.MessageStop(stop_reason="end_turn"),
            br.Metadata(
                usage=br.Usage(input_tokens=4, output_tokens=133, total_tokens=2205,
                               cache_read_input_tokens=2068, cache_write_input_tokens=0),
                metrics=br.Metrics(latency_ms=900),
            ),
        ]
    )  # fmt: skip
    assert converse.usage is not None and converse.usage.cache_read_input_tokens == 2068
    assert converse.metrics == br.Metrics(latency_ms=900)
    # A mapping given to the constructor is read in Converse's or Anthropic's names.
    built = br.Reassembled(
        "assistant", (), "end_turn",
        usage={"input_tokens": 3, "output_tokens": 2, "cache_read_input_tokens": 1},
        metrics={"invocationLatency": 7, "firstByteLatency": 2},
    )  # fmt: skip
    assert built.usage == br.Usage(
        input_tokens=3, output_tokens=2, total_tokens=6, cache_read_input_tokens=1
    )
    assert built.metrics == br.Metrics(latency_ms=7, extra={"firstByteLatency": 2})
    assert br.Reassembled("assistant", (), None, usage={"inputTokens": 1, "outputTokens": 1,
                          "totalTokens": 2}).usage == br.Usage(
        input_tokens=1, output_tokens=1, total_tokens=2)  # fmt: skip
    assert br.reassemble([]).usage is None and br.reassemble([]).metrics is None


def test_the_stop_sequence_converse_gives_when_asked_for_it() -> None:
    # additionalModelResponseFieldPaths ["/delta/stop_sequence"] (vercel/ai #11410) or
    # ["/stop_sequence"]: the fields stay as they came, the sequence is read from them.
    for fields in ({"delta": {"stop_sequence": "END"}}, {"stop_sequence": "END"}):
        stop = br.MessageStop(stop_reason="stop_sequence", additional_model_response_fields=fields)
        result = br.reassemble([stop])
        assert (result.stop_sequence, result.additional_model_response_fields) == ("END", fields)


# --- bounded memory -----------------------------------------------------------------------------


def test_a_long_answer_is_kept_as_few_strings_not_one_per_delta() -> None:
    # One str per delta cost ~50 bytes more than its text: a 224 MB answer peaked at 1.9 GiB.
    import tracemalloc  # noqa: PLC0415

    words = [f"w{i % 10} " for i in range(200_000)]
    events: list[br.TypedEvent] = [br.MessageStart(role="assistant")]
    events += [
        br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text=w)) for w in words
    ]
    reassembler = br.Reassembler()
    tracemalloc.start()
    try:
        for event in events:
            reassembler.add(event)
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    text = "".join(words)
    assert reassembler.result().text == text
    # The text's own bytes and a little: one str a delta would be ~3x (about 13 MB here).
    assert kept < 2 * len(text) + 1_000_000, (kept, len(text))


def test_the_errors_kept_are_bounded_and_the_rest_counted() -> None:
    reassembler = br.Reassembler()
    for _ in range(br.MAX_ERRORS + 500):
        reassembler.add(br.Chunk(bytes=b"not json"))
    errors = reassembler.result().errors
    assert len(errors) == br.MAX_ERRORS + 1
    assert {e.type for e in errors[:-1]} == {"invalid_chunk"}
    assert errors[-1].type == "more_errors" and "500 more errors" in errors[-1].message


def test_an_image_block_s_repr_is_bounded() -> None:
    block = br.ImageBlock("png", b"\x89PNG" * 262_144)
    assert len(repr(block)) < 200 and "1,048,576 bytes" in repr(block)
    assert "b'ab'" in repr(br.ImageBlock("png", b"ab"))
