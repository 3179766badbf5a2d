"""boto3 reads the Bedrock streams we translate from Anthropic and OpenAI input (issue 14,
item 4, the other way).

The inputs are streams as each API sends them, written here from the vendors' published
event shapes. What they amount to is computed by the vendors' own accumulators (the
anthropic SDK's ``accumulate_event``, the openai SDK's ``ChatCompletionStreamState``); a
WSGI server translates them into ConverseStream and InvokeModelWithResponseStream bodies,
and what boto3 yields must amount to the same. Errors before the stream become Bedrock's
HTTP errors (boto3 raises the modelled class), errors mid-stream exception frames.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from eventstream import bedrock as br
from eventstream import translate as tr
from eventstream.gateway import wsgi
from eventstream.sse import encode_sse
from tests.gateway_support import boto3_client, serve_wsgi

anthropic_streaming = pytest.importorskip("anthropic.lib.streaming._messages")
openai_chat = pytest.importorskip("openai.types.chat")
from openai.lib.streaming.chat import ChatCompletionStreamState  # noqa: E402

botocore_exceptions = pytest.importorskip("botocore.exceptions")


def _anthropic_sse(*events: dict[str, Any]) -> bytes:
    return b"".join(encode_sse(json.dumps(e), event=e["type"]) for e in events)


def _openai_sse(*chunks: dict[str, Any], done: bool = True) -> bytes:
    body = b"".join(encode_sse(json.dumps(c)) for c in chunks)
    return body + (encode_sse("[DONE]") if done else b"")


REDACTED = base64.b64encode(b"\x01\x02 redacted \xfe").decode()

ANTHROPIC_EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "message": {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
        "content": [], "model": "claude-sonnet-4-5", "stop_reason": None,
        "stop_sequence": None, "usage": {
            "input_tokens": 25, "output_tokens": 1, "cache_read_input_tokens": 1200,
            "cache_creation_input_tokens": 300,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 300},
        },
    }},
    {"type": "content_block_start", "index": 0,
     "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
    {"type": "content_block_delta", "index": 0,
     "delta": {"type": "thinking_delta", "thinking": "Two cities, "}},
    {"type": "ping"},
    {"type": "content_block_delta", "index": 0,
     "delta": {"type": "thinking_delta", "thinking": "two calls."}},
    {"type": "content_block_delta", "index": 0,
     "delta": {"type": "signature_delta", "signature": "EqQBCkYIBxgCKkBv=="}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1,
     "content_block": {"type": "redacted_thinking", "data": REDACTED}},
    {"type": "content_block_stop", "index": 1},
    {"type": "content_block_start", "index": 2, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 2,
     "delta": {"type": "text_delta", "text": "Checking "}},
    {"type": "content_block_delta", "index": 2,
     "delta": {"type": "text_delta", "text": "both \N{SNOWFLAKE}."}},
    {"type": "content_block_stop", "index": 2},
    {"type": "content_block_start", "index": 3, "content_block": {
        "type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {}}},
    {"type": "content_block_delta", "index": 3,
     "delta": {"type": "input_json_delta", "partial_json": ""}},
    {"type": "content_block_delta", "index": 3,
     "delta": {"type": "input_json_delta", "partial_json": '{"city": "Par'}},
    {"type": "content_block_delta", "index": 3,
     "delta": {"type": "input_json_delta", "partial_json": 'is"}'}},
    {"type": "content_block_stop", "index": 3},
    {"type": "content_block_start", "index": 4, "content_block": {
        "type": "tool_use", "id": "toolu_01B", "name": "get_weather", "input": {}}},
    {"type": "content_block_delta", "index": 4,
     "delta": {"type": "input_json_delta", "partial_json": '{"city": "Tokyo"}'}},
    {"type": "content_block_stop", "index": 4},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
     "usage": {"output_tokens": 89}},
    {"type": "message_stop"},
]  # fmt: skip

ANTHROPIC_CUT: list[dict[str, Any]] = [
    *ANTHROPIC_EVENTS[:1],
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hal"}},
    {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
]


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion.chunk",
        "created": 1741570283, "model": "gpt-oss-120b", "system_fingerprint": "fp_1",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        "usage": None,
    }  # fmt: skip


def _call(index: int, arguments: str, call_id: str | None = None) -> dict[str, Any]:
    call: dict[str, Any] = {"index": index, "function": {"arguments": arguments}}
    if call_id is not None:
        call.update(id=call_id, type="function")
        call["function"]["name"] = "get_weather"
    return {"tool_calls": [call]}


OPENAI_CHUNKS: list[dict[str, Any]] = [
    _chunk({"role": "assistant", "content": "", "refusal": None}),
    _chunk({"reasoning": "Two cities, "}),
    _chunk({"reasoning": "two calls."}),
    _chunk({"content": "Checking "}),
    _chunk({"content": "both."}),
    _chunk(_call(0, "", "call_paris")),
    _chunk(_call(0, '{"city": "Par')),
    _chunk(_call(0, 'is"}')),
    _chunk(_call(1, "", "call_tokyo")),
    _chunk(_call(1, '{"city": "Tokyo"}')),
    _chunk({}, "tool_calls"),
    {**_chunk({}), "choices": [], "usage": {
        "prompt_tokens": 1525, "completion_tokens": 89, "total_tokens": 1614,
        "prompt_tokens_details": {"cached_tokens": 1200, "audio_tokens": 0},
    }},
]  # fmt: skip
OPENAI_CUT = [
    *OPENAI_CHUNKS[:4],
    {"error": {"message": "Rate limit reached", "type": "rate_limit_error", "param": None,
               "code": "rate_limit_exceeded"}},
]  # fmt: skip

#: model id -> (input format, upstream body)
UPSTREAMS: dict[str, tuple[str, bytes]] = {
    "anthropic": ("anthropic", _anthropic_sse(*ANTHROPIC_EVENTS)),
    "anthropic-cut": ("anthropic", _anthropic_sse(*ANTHROPIC_CUT)),
    "anthropic-truncated": ("anthropic", _anthropic_sse(*ANTHROPIC_EVENTS[:5])[:-7]),
    "openai": ("openai", _openai_sse(*OPENAI_CHUNKS)),
    "openai-cut": ("openai", _openai_sse(*OPENAI_CUT, done=False)),
}
#: model id -> (input format, upstream HTTP status, upstream error body)
UPSTREAM_ERRORS: dict[str, tuple[str, int, dict[str, Any]]] = {
    "anthropic-429": ("anthropic", 429, {"type": "error", "error": {
        "type": "rate_limit_error", "message": "Number of request tokens has exceeded"}}),
    "anthropic-529": ("anthropic", 529, {"type": "error", "error": {
        "type": "overloaded_error", "message": "Overloaded"}}),
    "anthropic-400": ("anthropic", 400, {"type": "error", "error": {
        "type": "invalid_request_error", "message": "max_tokens: field required"}}),
    "anthropic-401": ("anthropic", 401, {"type": "error", "error": {
        "type": "authentication_error", "message": "invalid x-api-key"}}),
    "openai-429": ("openai", 429, {"error": {"message": "Rate limit reached", "type": "requests",
                                             "param": None, "code": "rate_limit_exceeded"}}),
    "openai-500": ("openai", 500, {"error": {"message": "The server had an error",
                                             "type": "server_error", "param": None,
                                             "code": None}}),
}  # fmt: skip
#: The boto3 class each upstream error must raise (Bedrock's own code for that status).
EXPECTED_ERRORS = {
    "anthropic-429": "ThrottlingException",
    "anthropic-529": "ServiceUnavailableException",
    "anthropic-400": "ValidationException",
    "anthropic-401": "AccessDeniedException",
    "openai-429": "ThrottlingException",
    "openai-500": "InternalServerException",
}


def _pieces(data: bytes, size: int = 37) -> Iterator[bytes]:
    # The upstream body as a network hands it over: slices that cut events anywhere.
    return (data[i : i + size] for i in range(0, len(data), size))


def app(environ: dict[str, Any], start_response: Any) -> Any:
    """A gateway: ``/model/<upstream>/<operation>``, that upstream translated."""
    _, _, model, _ = environ["PATH_INFO"].split("/")
    stream = br.stream_from_path(environ["PATH_INFO"])
    assert stream in ("converse", "invoke")
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    if model in UPSTREAM_ERRORS:
        kind, status, body = UPSTREAM_ERRORS[model]
        read = tr.from_anthropic_error if kind == "anthropic" else tr.from_openai_error
        return wsgi.error_response(start_response, read(status, json.dumps(body).encode()))
    kind, data = UPSTREAMS[model]
    translate = tr.from_anthropic if kind == "anthropic" else tr.from_openai
    return wsgi.stream_response(start_response, translate(_pieces(data), stream), stream)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with serve_wsgi(app) as url:
        client = boto3_client(url, attempts=1)
        yield client
        client.close()


# --- what the vendors' accumulators make of the inputs ---------------------------------------


def anthropic_message(events: list[dict[str, Any]]) -> Any:
    """The anthropic SDK's own accumulation of Anthropic events."""
    snapshot = None
    json_bufs: dict[int, bytes] = {}
    for event in events:
        if event["type"] in ("ping", "error"):
            continue
        snapshot = anthropic_streaming.accumulate_event(
            event=event, current_snapshot=snapshot, json_bufs=json_bufs
        )
    return snapshot


def openai_completion(chunks: list[dict[str, Any]]) -> Any:
    """The openai SDK's own accumulation of chunks."""
    state: Any = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(openai_chat.ChatCompletionChunk.model_validate(chunk))
    return state.get_final_completion()


def converse_answer(events: list[dict[str, Any]]) -> dict[str, Any]:
    """What boto3's ConverseStream events amount to, read from its dicts."""
    blocks: dict[int, dict[str, Any]] = {}
    answer: dict[str, Any] = {"roles": [], "stops": [], "usage": None}
    for event in events:
        (name, body), = event.items()  # fmt: skip
        if name == "messageStart":
            answer["roles"].append(body["role"])
        elif name == "contentBlockStart":
            tool = body["start"]["toolUse"]
            blocks[body["contentBlockIndex"]] = {
                "tool": (tool["toolUseId"], tool["name"]),
                "json": "",
            }
        elif name == "contentBlockDelta":
            block = blocks.setdefault(body["contentBlockIndex"], {})
            delta = body["delta"]
            if "text" in delta:
                block["text"] = block.get("text", "") + delta["text"]
            elif "toolUse" in delta:
                block["json"] += delta["toolUse"]["input"]
            else:
                reasoning = delta["reasoningContent"]
                for key in ("text", "signature"):
                    if key in reasoning:
                        block[f"reasoning_{key}"] = (
                            block.get(f"reasoning_{key}", "") + reasoning[key]
                        )
                if "redactedContent" in reasoning:
                    block["redacted"] = block.get("redacted", b"") + reasoning["redactedContent"]
        elif name == "contentBlockStop":
            blocks[body["contentBlockIndex"]]["stopped"] = True
        elif name == "messageStop":
            answer["stops"].append(body["stopReason"])
        elif name == "metadata":
            answer["usage"] = body["usage"]
    answer["blocks"] = [blocks[i] for i in sorted(blocks)]
    assert sorted(blocks) == list(range(len(blocks))), "dense block indexes"
    return answer


# --- ConverseStream ------------------------------------------------------------------------------


def test_boto3_converse_stream_from_anthropic_is_the_anthropic_sdks_message(client: Any) -> None:
    events = list(client.converse_stream(modelId="anthropic", messages=[])["stream"])
    answer = converse_answer(events)
    message = anthropic_message(ANTHROPIC_EVENTS)
    expected: list[dict[str, Any]] = []
    for block in message.content:
        if block.type == "thinking":
            expected.append({"reasoning_text": block.thinking,
                             "reasoning_signature": block.signature, "stopped": True})  # fmt: skip
        elif block.type == "redacted_thinking":
            expected.append({"redacted": base64.b64decode(block.data), "stopped": True})
        elif block.type == "text":
            expected.append({"text": block.text, "stopped": True})
        else:
            expected.append({"tool": (block.id, block.name), "input": block.input, "stopped": True})
    for got in answer["blocks"]:
        if "tool" in got:
            got["input"] = json.loads(got.pop("json"))
    assert answer["blocks"] == expected
    assert answer["roles"] == ["assistant"]
    assert answer["stops"] == [message.stop_reason]  # tool_use either way
    usage = message.usage
    assert answer["usage"] == {
        "inputTokens": usage.input_tokens,
        "outputTokens": usage.output_tokens,
        "totalTokens": usage.input_tokens + usage.output_tokens
        + usage.cache_read_input_tokens + usage.cache_creation_input_tokens,
        "cacheReadInputTokens": usage.cache_read_input_tokens,
        "cacheWriteInputTokens": usage.cache_creation_input_tokens,
        "cacheDetails": [{"ttl": "1h", "inputTokens": 300}],
    }  # fmt: skip


def test_boto3_converse_stream_from_openai_is_the_openai_sdks_completion(client: Any) -> None:
    events = list(client.converse_stream(modelId="openai", messages=[])["stream"])
    answer = converse_answer(events)
    completion = openai_completion(OPENAI_CHUNKS)
    message = completion.choices[0].message
    reasoning, text, *tools = answer["blocks"]
    assert reasoning == {"reasoning_text": message.model_extra["reasoning"], "stopped": True}
    assert text == {"text": message.content, "stopped": True}
    assert [(t["tool"], json.loads(t["json"]), t["stopped"]) for t in tools] == [
        ((call.id, call.function.name), json.loads(call.function.arguments), True)
        for call in message.tool_calls
    ]
    assert answer["stops"] == [tr.stop_from_openai(completion.choices[0].finish_reason)]
    usage = completion.usage
    cached = usage.prompt_tokens_details.cached_tokens
    assert answer["usage"] == {
        "inputTokens": usage.prompt_tokens - cached,  # Converse leaves the cache out
        "outputTokens": usage.completion_tokens,
        "totalTokens": usage.total_tokens,
        "cacheReadInputTokens": cached,
    }


# --- InvokeModelWithResponseStream --------------------------------------------------------------


def test_boto3_invoke_stream_from_anthropic_carries_claudes_chunks(client: Any) -> None:
    response = client.invoke_model_with_response_stream(modelId="anthropic", body=b"{}")
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    # As Bedrock sends Claude's: one event a chunk, the metrics on message_stop.
    assert [c["type"] for c in chunks] == [
        e["type"] for e in ANTHROPIC_EVENTS if e["type"] != "ping"
    ]
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["inputTokenCount"] == 25 and metrics["outputTokenCount"] == 89
    assert anthropic_message(chunks).to_dict() == anthropic_message(ANTHROPIC_EVENTS).to_dict()
    # And our reassembly of what boto3 got is that message too.
    result = br.reassemble(br.Chunk(bytes=json.dumps(c).encode()) for c in chunks)
    assert result.complete and result.to_anthropic()["content"] == [
        block.to_dict(exclude_none=True) if block.type != "thinking" else block.to_dict()
        for block in anthropic_message(ANTHROPIC_EVENTS).content
    ]


def test_boto3_invoke_stream_from_openai_carries_the_chunks(client: Any) -> None:
    response = client.invoke_model_with_response_stream(modelId="openai", body=b"{}")
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    assert chunks == OPENAI_CHUNKS  # the format Bedrock's OpenAI models stream
    assert openai_completion(chunks) == openai_completion(OPENAI_CHUNKS)


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["converse", "invoke"])
@pytest.mark.parametrize("model", list(UPSTREAM_ERRORS))
def test_an_upstream_http_error_raises_its_bedrock_class_in_boto3(
    client: Any, model: str, operation: str
) -> None:
    code = EXPECTED_ERRORS[model]
    if operation == "converse":
        call = lambda: client.converse_stream(modelId=model, messages=[])  # noqa: E731
    else:
        call = lambda: client.invoke_model_with_response_stream(modelId=model, body=b"{}")  # noqa: E731
    with pytest.raises(getattr(client.exceptions, code)) as info:
        call()
    _, _, body = UPSTREAM_ERRORS[model]
    assert info.value.response["Error"]["Message"] == (body["error"]["message"])
    assert (
        info.value.response["ResponseMetadata"]["HTTPStatusCode"]
        == br.HTTP_ERRORS[code].status_code
    )


@pytest.mark.parametrize(
    ("model", "code", "text"),
    [
        ("anthropic-cut", "serviceUnavailableException", "Hal"),
        ("openai-cut", "throttlingException", "Checking "),
        ("anthropic-truncated", "internalServerException", ""),
    ],
)
def test_a_mid_stream_error_is_an_exception_frame_after_the_events(
    client: Any, model: str, code: str, text: str
) -> None:
    got: list[dict[str, Any]] = []
    stream = client.converse_stream(modelId=model, messages=[])["stream"]
    try:
        with pytest.raises(botocore_exceptions.EventStreamError) as info:
            got.extend(stream)
    finally:
        stream.close()
    assert info.value.response["Error"]["Code"] == code
    assert "".join(b.get("text", "") for b in converse_answer(got)["blocks"]) == text
    assert not any("messageStop" in e or "metadata" in e for e in got), "never a clean end"
