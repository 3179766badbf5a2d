"""The vendors' own clients read our translated streams (issue 14, item 4).

uvicorn serves Bedrock streams translated to Anthropic SSE and OpenAI chunks on 127.0.0.1;
the official ``anthropic`` SDK reads them with ``messages.stream(...).get_final_message()``,
the ``openai`` SDK with ``chat.completions.create(stream=True)`` accumulated by its
``ChatCompletionStreamState`` and with its ``chat.completions.stream()`` helper. Their
final messages must equal our reassembly of the Bedrock stream. Errors: each row of
``ERRORS`` before the stream raises the SDK class of its status, retried exactly when the
Bedrock error is retryable (counted at the server); mid-stream, the in-band error.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from eventstream import bedrock as br
from eventstream import samples
from eventstream import translate as tr
from tests.gateway_support import serve_asgi
from tests.test_translate_support import (
    CACHED,
    anthropic_view,
    cut_stream,
    gpt_oss_stream,
    llama_stream,
    openai_view,
    reasoning_stream,
    sdk_anthropic_view,
    sdk_openai_view,
    sse_app,
    stop_sequence_stream,
    text_stream,
)

anthropic = pytest.importorskip("anthropic")
openai = pytest.importorskip("openai")
from openai.lib.streaming.chat import ChatCompletionStreamState  # noqa: E402


def _sample(name: str) -> list[br.TypedEvent]:
    return list(br.events(samples.sample_bytes(name), stream="auto", raise_exceptions=False))


#: Every stream the SDKs read, by the model id the client asks for.
STOPS = (
    "max_tokens", "model_context_window_exceeded", "guardrail_intervened",
    "content_filtered", "malformed_model_output", "malformed_tool_use",
)  # fmt: skip
STREAMS: dict[str, list[br.TypedEvent]] = {
    "reasoning": reasoning_stream(),
    "converse-sample": _sample("converse_tool_use"),
    "invoke-sample": _sample("claude_invoke_tool_use"),
    "stop-sequence": stop_sequence_stream(),
    "cached-text": text_stream("end_turn", CACHED),
    # Other families on Invoke, read through bedrock.ChunkReader.
    "llama-invoke": llama_stream(),
    "gpt-oss-invoke": gpt_oss_stream(),
    **{f"stop-{reason}": text_stream(reason) for reason in STOPS},
}
CUT: dict[str, list[br.TypedEvent]] = {
    "cut-throttling": cut_stream(br.ThrottlingException("slow down")),
    "cut-unavailable": cut_stream(br.ServiceUnavailableException("try later")),
    "cut-model": cut_stream(br.ModelStreamErrorException("model failed", original_status_code=529)),
    "cut-sample": _sample("claude_invoke_stream_error"),
}


def _exception(code: str) -> br.BedrockException:
    if code == "ModelStreamErrorException":
        return br.ModelStreamErrorException("m", original_status_code=503)
    return br.HTTP_ERRORS[code](f"{code} says no")


ERRORS: dict[str, list[br.TypedEvent]] = {
    f"error-{code}": [_exception(code)] for code in br.HTTP_ERRORS
}
HITS: dict[str, int] = {}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_asgi(sse_app({**STREAMS, **CUT, **ERRORS}, HITS)) as base:
        yield base


#: The clients a test made, closed after it (their connection pools hold sockets).
CLIENTS: list[Any] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while CLIENTS:
        CLIENTS.pop().close()


def _anthropic(url: str, retries: int = 0) -> Any:
    CLIENTS.append(anthropic.Anthropic(base_url=url, api_key="test-key", max_retries=retries))
    return CLIENTS[-1]


def _openai(url: str, retries: int = 0) -> Any:
    CLIENTS.append(openai.OpenAI(base_url=f"{url}/v1", api_key="test-key", max_retries=retries))
    return CLIENTS[-1]


def _expected(model: str) -> br.Reassembled:
    return br.reassemble(STREAMS.get(model) or CUT[model])


MESSAGES = [{"role": "user", "content": "Weather in Paris and Tokyo?"}]


@pytest.mark.parametrize("model", list(STREAMS))
def test_anthropic_sdk_final_message_is_our_reassembly(url: str, model: str) -> None:
    with _anthropic(url).messages.stream(model=model, max_tokens=64, messages=MESSAGES) as stream:
        message = stream.get_final_message()
    assert sdk_anthropic_view(message) == anthropic_view(_expected(model), sdk=True)
    assert message.model == model
    if model == "stop-sequence":
        assert message.stop_sequence == "###"
    if model == "invoke-sample":
        # Read through the Converse events, the Invoke chunk's id survives.
        assert message.id.startswith("msg_bdrk_")


@pytest.mark.parametrize("model", list(STREAMS))
def test_openai_sdk_accumulated_chunks_are_our_reassembly(url: str, model: str) -> None:
    client = _openai(url)
    chunks = client.chat.completions.create(
        model=model, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    state: Any = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(chunk)
    expected = openai_view(_expected(model))
    try:
        completion = state.get_final_completion()
    except (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as exc:
        # The SDK refuses a truncated or filtered answer as a final one: never a success.
        assert expected["finish_reason"] in ("length", "content_filter")
        completion = exc.completion
    assert sdk_openai_view(completion) == expected
    assert completion.model == model


def test_openai_stream_helper_reads_the_same(url: str) -> None:
    with _openai(url).chat.completions.stream(
        model="reasoning", messages=MESSAGES, stream_options={"include_usage": True}
    ) as stream:
        events = list(stream)
        completion = stream.get_final_completion()
    assert sdk_openai_view(completion) == openai_view(_expected("reasoning"))
    # The helper saw both calls end, each by its own dense index, with whole arguments.
    done = [e for e in events if e.type == "tool_calls.function.arguments.done"]
    assert [(e.index, json.loads(e.arguments)) for e in done] == [
        (0, {"city": "Paris", "unit": "c"}),
        (1, {"city": "Tōkyō", "days": [1, 2]}),
    ]
    assert "".join(e.delta for e in events if e.type == "content.delta") == (
        _expected("reasoning").text
    )


def test_openai_without_include_usage_sends_no_usage_chunk(url: str) -> None:
    chunks = list(_openai(url).chat.completions.create(model="cached-text", messages=MESSAGES,
                                                       stream=True))  # fmt: skip
    assert all(chunk.usage is None and chunk.choices for chunk in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_tool_call_ids_and_names_are_sent_once_with_dense_indexes(url: str) -> None:
    chunks = list(_openai(url).chat.completions.create(model="reasoning", messages=MESSAGES,
                                                       stream=True))  # fmt: skip
    calls = [c for chunk in chunks for c in (chunk.choices[0].delta.tool_calls or [])]
    assert sorted({c.index for c in calls}) == [0, 1]  # blocks 3 and 4: tool calls 0 and 1
    named = [(c.index, c.id, c.function.name) for c in calls if c.id is not None]
    assert named == [(0, "tooluse_paris01", "get_weather"), (1, "tooluse_tokyo02", "get_weather")]
    assert all(c.function.name is None for c in calls if c.id is None)
    roles = [chunk.choices[0].delta.role for chunk in chunks if chunk.choices[0].delta.role]
    assert roles == ["assistant"]


# --- errors -----------------------------------------------------------------------------------

#: The SDK class each status raises (the vendors' documented tables, not ours).
ANTHROPIC_CLASSES = {
    400: "BadRequestError", 403: "PermissionDeniedError", 404: "NotFoundError",
    424: "APIStatusError", 429: "RateLimitError", 500: "InternalServerError",
    503: "ServiceUnavailableError", 504: "GatewayTimeoutError", 529: "OverloadedError",
}  # fmt: skip
OPENAI_CLASSES = {
    400: "BadRequestError", 403: "PermissionDeniedError", 404: "NotFoundError",
    408: "APIStatusError", 424: "APIStatusError", 429: "RateLimitError",
    500: "InternalServerError", 503: "InternalServerError",
}  # fmt: skip


def _retryable(code: str) -> bool:
    return _exception(code).retryable


@pytest.fixture
def no_sdk_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (anthropic._base_client, openai._base_client):
        monkeypatch.setattr(
            module.SyncAPIClient, "_calculate_retry_timeout", lambda *args, **kwargs: 0.0
        )


@pytest.mark.usefixtures("no_sdk_backoff")
@pytest.mark.parametrize("code", list(br.HTTP_ERRORS))
def test_anthropic_sdk_raises_the_class_of_each_error_and_retries_as_bedrock_would(
    url: str, code: str
) -> None:
    model = f"error-{code}"
    HITS.pop(model, None)
    status, body = tr.anthropic_error(_exception(code))
    client = _anthropic(url, retries=2)
    with pytest.raises(getattr(anthropic, ANTHROPIC_CLASSES[status])) as info:
        client.messages.stream(model=model, max_tokens=8, messages=MESSAGES).__enter__()
    assert type(info.value).__name__ == ANTHROPIC_CLASSES[status]
    assert info.value.status_code == status
    assert info.value.body["error"]["type"] == body["error"]["type"]
    assert HITS[model] == (3 if _retryable(code) else 1), "attempts"
    # And back: the SDK's error reads as a Bedrock error that is as retryable.
    back = tr.from_anthropic_error(info.value.status_code, info.value.body)
    assert back.retryable == _retryable(code)


@pytest.mark.usefixtures("no_sdk_backoff")
@pytest.mark.parametrize("code", list(br.HTTP_ERRORS))
def test_openai_sdk_raises_the_class_of_each_error_and_retries_as_bedrock_would(
    url: str, code: str
) -> None:
    model = f"error-{code}"
    HITS.pop(model, None)
    status, _ = tr.openai_error(_exception(code))
    with pytest.raises(getattr(openai, OPENAI_CLASSES[status])) as info:
        list(_openai(url, retries=2).chat.completions.create(model=model, messages=MESSAGES,
                                                              stream=True))  # fmt: skip
    assert type(info.value).__name__ == OPENAI_CLASSES[status]
    assert info.value.status_code == status
    assert HITS[model] == (3 if _retryable(code) else 1), "attempts"
    back = tr.from_openai_error(info.value.status_code, info.value.body)
    assert type(back) is type(_exception(code))  # the code rides in error.code


@pytest.mark.parametrize("model", list(CUT))
def test_anthropic_sdk_raises_a_mid_stream_error_after_the_text(url: str, model: str) -> None:
    expected = _expected(model)
    exception = next(e for e in CUT[model] if isinstance(e, br.BedrockException))
    _, body = tr.anthropic_error(exception)
    texts: list[str] = []
    # Mid-stream the status is 200: the SDK raises APIStatusError with the error's body
    # (the class comes from the HTTP status; docs/translate.md).
    with _anthropic(url).messages.stream(model=model, max_tokens=8, messages=MESSAGES) as s:
        text = s.text_stream
        with pytest.raises(anthropic.APIStatusError) as info:
            texts.extend(text)
    assert "".join(texts) == expected.text
    assert info.value.body == body
    back = tr.from_anthropic_error(None, info.value.body)
    assert back.retryable == exception.retryable


@pytest.mark.parametrize("model", list(CUT))
def test_openai_sdk_raises_a_mid_stream_error_after_the_text(url: str, model: str) -> None:
    expected = _expected(model)
    exception = next(e for e in CUT[model] if isinstance(e, br.BedrockException))
    texts: list[str] = []
    chunks = _openai(url).chat.completions.create(model=model, messages=MESSAGES, stream=True)

    def read() -> None:
        for chunk in chunks:
            texts.extend(c.delta.content or "" for c in chunk.choices)

    with pytest.raises(openai.APIError) as info:
        read()
    assert "".join(texts) == expected.text
    assert info.value.message == exception.message
    back = tr.from_openai_error(None, info.value.body)
    assert type(back) is type(exception) and back.retryable == exception.retryable


def test_the_async_clients_read_the_same(url: str) -> None:
    async def read() -> tuple[Any, Any]:
        async with (
            anthropic.AsyncAnthropic(base_url=url, api_key="k", max_retries=0) as client,
            client.messages.stream(model="reasoning", max_tokens=64, messages=MESSAGES) as stream,
        ):
            message = await stream.get_final_message()
        async with openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="k", max_retries=0) as oai:
            chunks = await oai.chat.completions.create(
                model="reasoning", messages=MESSAGES, stream=True,
                stream_options={"include_usage": True},
            )  # fmt: skip
            state: Any = ChatCompletionStreamState()
            async for chunk in chunks:
                state.handle_chunk(chunk)
        return message, state.get_final_completion()

    message, completion = asyncio.run(read())
    assert sdk_anthropic_view(message) == anthropic_view(_expected("reasoning"), sdk=True)
    assert sdk_openai_view(completion) == openai_view(_expected("reasoning"))
