"""What the translation tests share: Bedrock streams to translate, the views of a final
message that each format can carry, and a server that streams translated SSE.

A "view" is the answer as one format can hold it: the Anthropic view keeps every block,
signature and cache count; the OpenAI view merges what chat chunks cannot keep apart
(adjacent text blocks, citations, per-TTL cache writes). A translation is right when the
vendor SDK's final message has the same view as our reassembly of the Bedrock stream.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from eventstream import bedrock as br
from eventstream import translate as tr

# --- Bedrock streams --------------------------------------------------------------------------


def _delta(index: int, delta: Any) -> br.ContentBlockDelta:
    return br.ContentBlockDelta(content_block_index=index, delta=delta)


def _end(reason: str, usage: br.Usage, additional: Any = None) -> list[br.TypedEvent]:
    return [
        br.MessageStop(stop_reason=reason, additional_model_response_fields=additional),
        br.Metadata(usage=usage, metrics=br.Metrics(latency_ms=812)),
    ]


USAGE = br.Usage(input_tokens=21, output_tokens=57, total_tokens=78)
CACHED = br.Usage(
    input_tokens=12,
    output_tokens=40,
    total_tokens=12 + 40 + 3000 + 250,
    cache_read_input_tokens=3000,
    cache_write_input_tokens=250,
    cache_details=(br.CacheDetail(ttl="5m", input_tokens=250),),
)


def reasoning_stream() -> list[br.TypedEvent]:
    """Signed thinking, redacted thinking (two pieces), text, then two parallel tool calls,
    with cache tokens: every block kind the formats can carry."""
    return [
        br.MessageStart(role="assistant"),
        _delta(0, br.ReasoningContentDelta(text="The user wants ")),
        _delta(0, br.ReasoningContentDelta(text="the weather in two cities.")),
        _delta(0, br.ReasoningContentDelta(signature="EqQBCkYIBRgCKkD")),
        _delta(0, br.ReasoningContentDelta(signature="sig+/tail==")),
        br.ContentBlockStop(content_block_index=0),
        _delta(1, br.ReasoningContentDelta(redacted_content=b"\x00\x01opaque")),
        _delta(1, br.ReasoningContentDelta(redacted_content=b"\xffmore")),
        br.ContentBlockStop(content_block_index=1),
        _delta(2, br.TextDelta(text="Checking Paris ")),
        _delta(2, br.TextDelta(text='and Tōkyō \N{SNOWFLAKE}\n"now"')),
        br.ContentBlockStop(content_block_index=2),
        br.ContentBlockStart(
            content_block_index=3,
            start=br.ToolUseStart(tool_use_id="tooluse_paris01", name="get_weather"),
        ),
        _delta(3, br.ToolUseDelta(input="")),
        _delta(3, br.ToolUseDelta(input='{"city": "Pa')),
        _delta(3, br.ToolUseDelta(input='ris", "unit": "c"}')),
        br.ContentBlockStop(content_block_index=3),
        br.ContentBlockStart(
            content_block_index=4,
            start=br.ToolUseStart(tool_use_id="tooluse_tokyo02", name="get_weather"),
        ),
        _delta(4, br.ToolUseDelta(input='{"city": "Tōkyō", "days": [1, 2]}')),
        br.ContentBlockStop(content_block_index=4),
        *_end("tool_use", CACHED),
    ]


def text_stream(reason: str = "end_turn", usage: br.Usage = USAGE) -> list[br.TypedEvent]:
    """One text block and the given stop reason."""
    return [
        br.MessageStart(role="assistant"),
        _delta(0, br.TextDelta(text="Hello")),
        _delta(0, br.TextDelta(text=", world")),
        br.ContentBlockStop(content_block_index=0),
        *_end(reason, usage),
    ]


def cut_stream(exception: br.BedrockException) -> list[br.TypedEvent]:
    """Some text, then ``exception`` mid-stream."""
    return [
        br.MessageStart(role="assistant"),
        _delta(0, br.TextDelta(text="Half an ans")),
        exception,
    ]


def stop_sequence_stream() -> list[br.TypedEvent]:
    """Claude through Converse: the matched stop sequence in the additional fields."""
    events = text_stream("stop_sequence")
    events[-2] = br.MessageStop(
        stop_reason="stop_sequence", additional_model_response_fields={"stop_sequence": "###"}
    )
    return events


METRICS = {"inputTokenCount": 12, "outputTokenCount": 3, "invocationLatency": 300,
           "firstByteLatency": 100}  # fmt: skip


def _chunks(*values: dict[str, Any]) -> list[br.TypedEvent]:
    return [br.Chunk(bytes=json.dumps(value).encode()) for value in values]


def llama_stream() -> list[br.TypedEvent]:
    """Meta Llama on Invoke (its documented chunk fields), cut by the token limit."""
    return _chunks(
        {"generation": "Hello", "prompt_token_count": 12, "generation_token_count": 1,
         "stop_reason": None},
        {"generation": " there", "prompt_token_count": None, "generation_token_count": 2,
         "stop_reason": None},
        {"generation": "", "prompt_token_count": None, "generation_token_count": 3,
         "stop_reason": "length", "amazon-bedrock-invocationMetrics": METRICS},
    )  # fmt: skip


def gpt_oss_stream() -> list[br.TypedEvent]:
    """OpenAI gpt-oss on Invoke: chat-completion chunks, reasoning first."""
    head = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
            "model": "openai.gpt-oss-120b-1:0"}  # fmt: skip

    def choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    return _chunks(
        choice({"role": "assistant", "content": "", "reasoning": "Say hi."}),
        choice({"content": "Hi!"}),
        choice({}, "stop"),
        {**head, "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3,
                                          "total_tokens": 15},
         "amazon-bedrock-invocationMetrics": METRICS},
    )  # fmt: skip


# --- views --------------------------------------------------------------------------------------


def usage_counts(usage: Any) -> tuple[int, int, int | None, int | None]:
    """(input without cache, output, cache read, cache write) from a reassembled usage: a
    Converse ``Usage``, or a mapping in Converse's or Anthropic's names."""
    if usage is None:
        return 0, 0, None, None
    if isinstance(usage, br.Usage):
        return (
            usage.input_tokens, usage.output_tokens,
            usage.cache_read_input_tokens, usage.cache_write_input_tokens,
        )  # fmt: skip
    if "inputTokens" in usage:
        keys = ("inputTokens", "outputTokens", "cacheReadInputTokens", "cacheWriteInputTokens")
    else:
        keys = (
            "input_tokens", "output_tokens", "cache_read_input_tokens",
            "cache_creation_input_tokens",
        )  # fmt: skip
    values = [usage.get(key) for key in keys]
    return values[0] or 0, values[1] or 0, values[2], values[3]


def _cache_split(usage: Any) -> dict[str, int]:
    if isinstance(usage, br.Usage):
        split = {d.ttl: d.input_tokens for d in usage.cache_details or ()}
    elif usage and "cacheDetails" in usage:
        split = {d["ttl"]: d["inputTokens"] for d in usage["cacheDetails"]}
    elif usage and isinstance(usage.get("cache_creation"), dict):
        split = {k.split("_")[1]: v for k, v in usage["cache_creation"].items()}
    else:
        split = {}
    return {ttl: n for ttl, n in split.items() if n}


def _citation(citation: br.CitationDelta) -> Any:
    # What Anthropic's citation keeps: its location, title and cited text (not the web
    # domain, and the source contents joined).
    return tr.anthropic_citation(citation)


def _stop_reason(result: br.Reassembled) -> str | None:
    # Converse's value, whichever vocabulary the stream used: an Invoke stream of Claude's
    # keeps Anthropic's (refusal), which is Converse's content_filtered.
    reason = result.stop_reason
    return None if reason is None else tr.stop_from_anthropic(reason)


def anthropic_view(result: br.Reassembled, *, sdk: bool = False) -> dict[str, Any]:
    """Our reassembly as an Anthropic final message can hold it. ``sdk``: as the SDK's
    accumulator holds it, which reads the cache write's TTL split only from
    ``message_start`` (before Converse has usage)."""
    blocks: list[Any] = []
    for block in result.content:
        if isinstance(block, br.TextBlock):
            blocks.append(("text", block.text, [_citation(c) for c in block.citations]))
        elif isinstance(block, br.ToolUseBlock):
            blocks.append(("tool_use", block.id, block.name, block.input))
        elif not isinstance(block, br.ReasoningBlock):
            continue  # tool results and images: no Anthropic stream form (lossy)
        elif block.redacted_content is not None:
            blocks.append(("redacted", block.redacted_content))
        else:
            blocks.append(("thinking", block.text, block.signature or None))
    reason = _stop_reason(result)
    return {
        "content": blocks,
        "stop_reason": None if reason is None else tr.stop_to_anthropic(reason),
        "usage": usage_counts(result.usage),
        "cache_split": {} if sdk else _cache_split(result.usage),
    }


def sdk_anthropic_view(message: Any) -> dict[str, Any]:
    """The anthropic SDK's final message (``get_final_message()``) in the same terms."""
    blocks: list[Any] = []
    for block in message.content:
        if block.type == "text":
            citations = [c.to_dict() for c in (block.citations or [])]
            blocks.append(("text", block.text, citations))
        elif block.type == "tool_use":
            blocks.append(("tool_use", block.id, block.name, block.input))
        elif block.type == "redacted_thinking":
            blocks.append(("redacted", base64.b64decode(block.data)))
        else:
            blocks.append(("thinking", block.thinking, block.signature or None))
    usage = message.usage
    creation = getattr(usage, "cache_creation", None)
    split = {}
    if creation is not None:
        split = {
            ttl: n
            for ttl, n in (
                ("5m", creation.ephemeral_5m_input_tokens),
                ("1h", creation.ephemeral_1h_input_tokens),
            )
            if n
        }
    return {
        "content": blocks,
        "stop_reason": message.stop_reason,
        "usage": (
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_read_input_tokens,
            usage.cache_creation_input_tokens,
        ),
        "cache_split": split,
    }


def openai_view(result: br.Reassembled) -> dict[str, Any]:
    """Our reassembly as one OpenAI choice can hold it: the text joined, reasoning text
    joined with its signatures and redacted data in order, tool calls with parsed input."""
    text, reasoning, details, tools = "", "", [], []
    for block in result.content:
        if isinstance(block, br.TextBlock):
            text += block.text
        elif isinstance(block, br.ToolUseBlock):
            tools.append((block.id, block.name, block.input))
        elif not isinstance(block, br.ReasoningBlock):
            continue  # tool results and images: no chat chunk form (lossy)
        elif block.redacted_content is not None:
            details.append(("encrypted", block.redacted_content))
        else:
            reasoning += block.text
            if block.signature:
                details.append(("signature", block.signature))
    inputs, outputs, read, write = usage_counts(result.usage)
    reason = _stop_reason(result)
    return {
        "text": text,
        "reasoning": reasoning,
        "details": details,
        "tools": tools,
        "finish_reason": None if reason is None else tr.stop_to_openai(reason),
        "usage": (inputs + (read or 0) + (write or 0), outputs, read),
    }


def sdk_openai_view(completion: Any) -> dict[str, Any]:
    """The openai SDK's accumulated completion (``ChatCompletionStreamState``) in the same
    terms; reasoning and its details are the extra fields the SDK keeps as they came."""
    choice = completion.choices[0]
    message = choice.message
    extra = message.model_extra or {}
    details = []
    for entry in extra.get("reasoning_details") or []:
        if entry["type"] == "reasoning.encrypted":
            details.append(("encrypted", base64.b64decode(entry["data"])))
        else:
            details.append(("signature", entry["signature"]))
    tools = [
        (call.id, call.function.name, json.loads(call.function.arguments or "{}"))
        for call in message.tool_calls or []
    ]
    usage = completion.usage
    cached = usage.prompt_tokens_details.cached_tokens if usage.prompt_tokens_details else None
    return {
        "text": message.content or "",
        "reasoning": extra.get("reasoning") or "",
        "details": details,
        "tools": tools,
        "finish_reason": choice.finish_reason,
        "usage": (usage.prompt_tokens, usage.completion_tokens, cached),
    }


# --- a server of translated SSE -----------------------------------------------------------------


def sse_app(streams: dict[str, list[br.TypedEvent]], hits: dict[str, int]) -> Any:
    """A Starlette app: ``POST /v1/messages`` streams ``streams[model]`` as Anthropic SSE,
    ``POST /v1/chat/completions`` as OpenAI chunks (usage chunk when the request's
    ``stream_options.include_usage`` says so). A stream that opens with an exception is
    that format's HTTP error instead. ``hits`` counts the requests per model."""

    async def handle(request: Request) -> Response:
        body = await request.json()
        model = body["model"]
        hits[model] = hits.get(model, 0) + 1
        events = streams[model]
        anthropic = request.url.path == "/v1/messages"
        if events and isinstance(events[0], br.BedrockException):
            make = tr.anthropic_error_response if anthropic else tr.openai_error_response
            reply = make(events[0])
            return Response(reply.body, reply.status, reply.headers)
        chunks: Iterator[bytes]
        if anthropic:
            chunks = tr.to_anthropic(events, model=model, message_id="msg_test")
            ping = tr.BedrockToAnthropic.ping()
        else:
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = tr.to_openai(
                events, model=model, completion_id="chatcmpl-test", include_usage=usage
            )
            ping = tr.BedrockToOpenAI.ping()
        # A keep-alive first and after every event, as a gateway waiting on Bedrock sends.
        paced = (part for chunk in chunks for part in (chunk, ping))
        return StreamingResponse(itertools.chain([ping], paced), headers=dict(tr.SSE_HEADERS))

    return Starlette(
        routes=[
            Route("/v1/messages", handle, methods=["POST"]),
            Route("/v1/chat/completions", handle, methods=["POST"]),
        ]
    )
