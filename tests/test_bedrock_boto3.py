"""boto3, a real client we did not write, reads what encode_event emits over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

import eventstream as es
from eventstream import bedrock as br
from tests.fake_bedrock import FakeBedrock, boto3_client

pytest.importorskip("boto3")
botocore_exceptions = pytest.importorskip("botocore.exceptions")


def _body(*typed: br.TypedEvent) -> bytes:
    return b"".join(br.encode_event(event).encode() for event in typed)


CONVERSE: list[tuple[br.BedrockEvent, dict[str, Any]]] = [
    (br.MessageStart(role="assistant"), {"messageStart": {"role": "assistant"}}),
    (
        br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="Hé 👋")),
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hé 👋"}}},
    ),
    (
        br.ContentBlockDelta(
            content_block_index=0, delta=br.ReasoningContentDelta(redacted_content=b"\x00\x01")
        ),
        {
            "contentBlockDelta": {
                "contentBlockIndex": 0,
                "delta": {"reasoningContent": {"redactedContent": b"\x00\x01"}},
            }
        },
    ),
    (
        br.ContentBlockDelta(
            content_block_index=0, delta=br.ReasoningContentDelta(signature="sig==")
        ),
        {
            "contentBlockDelta": {
                "contentBlockIndex": 0,
                "delta": {"reasoningContent": {"signature": "sig=="}},
            }
        },
    ),
    (br.ContentBlockStop(content_block_index=0), {"contentBlockStop": {"contentBlockIndex": 0}}),
    (
        br.ContentBlockStart(
            content_block_index=1,
            start=br.ToolUseStart(tool_use_id="tooluse_1", name="get_weather", type="tool_use"),
        ),
        {
            "contentBlockStart": {
                "contentBlockIndex": 1,
                "start": {
                    "toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "type": "tool_use"}
                },
            }
        },
    ),
    (
        br.ContentBlockDelta(content_block_index=1, delta=br.ToolUseDelta(input='{"city":')),
        {
            "contentBlockDelta": {
                "contentBlockIndex": 1,
                "delta": {"toolUse": {"input": '{"city":'}},
            }
        },
    ),
    (
        br.ContentBlockDelta(
            content_block_index=1,
            delta=br.CitationDelta(
                title="t",
                source_content=(br.CitationSourceContent(text="q"),),
                location=br.CitationLocation(
                    document_page=br.DocumentSpan(document_index=0, start=1, end=2)
                ),
            ),
        ),
        {
            "contentBlockDelta": {
                "contentBlockIndex": 1,
                "delta": {
                    "citation": {
                        "title": "t",
                        "sourceContent": [{"text": "q"}],
                        "location": {"documentPage": {"documentIndex": 0, "start": 1, "end": 2}},
                    }
                },
            }
        },
    ),
    (br.ContentBlockStop(content_block_index=1), {"contentBlockStop": {"contentBlockIndex": 1}}),
    (br.MessageStop(stop_reason="tool_use"), {"messageStop": {"stopReason": "tool_use"}}),
    (
        br.Metadata(
            usage=br.Usage(
                input_tokens=10, output_tokens=5, total_tokens=15, cache_read_input_tokens=3
            ),
            metrics=br.Metrics(latency_ms=421),
        ),
        {
            "metadata": {
                "usage": {
                    "inputTokens": 10,
                    "outputTokens": 5,
                    "totalTokens": 15,
                    "cacheReadInputTokens": 3,
                },
                "metrics": {"latencyMs": 421},
            }
        },
    ),
]


def test_boto3_converse_stream_yields_exactly_the_encoded_events() -> None:
    with FakeBedrock() as fake:
        fake.streams["anthropic.claude"] = _body(*(event for event, _ in CONVERSE))
        client: Any = boto3_client(fake.url)
        response = client.converse_stream(
            modelId="anthropic.claude", messages=[{"role": "user", "content": [{"text": "hi"}]}]
        )
        received = list(response["stream"])
    assert received == [expected for _, expected in CONVERSE]
    assert fake.requests[0].operation == "converse-stream"
    assert json.loads(fake.requests[0].body)["messages"][0]["content"] == [{"text": "hi"}]


def test_boto3_invoke_stream_yields_exactly_the_encoded_chunks() -> None:
    chunks = [
        b'{"type":"message_start","message":{"role":"assistant"}}',
        b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}',
        bytes(range(256)),  # any bytes: boto3 returns the blob as sent
        b"",
    ]
    with FakeBedrock(chunk_size=5) as fake:
        fake.streams["m"] = _body(*(br.Chunk(bytes=c) for c in chunks))
        client: Any = boto3_client(fake.url)
        response = client.invoke_model_with_response_stream(modelId="m", body=b"{}")
        received = list(response["body"])
    assert received == [{"chunk": {"bytes": c}} for c in chunks]


EXCEPTIONS: list[br.BedrockException] = [
    br.InternalServerException("The server had an error."),
    br.ModelStreamErrorException(
        "Model stream failed", original_status_code=529, original_message="Overloaded"
    ),
    br.ValidationException("Malformed input request."),
    br.ThrottlingException("Too many requests, please wait before trying again."),
    br.ModelTimeoutException("Model has timed out."),
    br.ServiceUnavailableException("Service unavailable."),
]


@pytest.mark.parametrize("exception", EXCEPTIONS, ids=lambda e: e.exception_type)
@pytest.mark.parametrize("operation", ["invoke", "converse"])
def test_boto3_raises_each_exception_with_its_code_and_message(
    exception: br.BedrockException, operation: str
) -> None:
    lead: br.BedrockEvent = (
        br.Chunk(bytes=b'{"ok":1}') if operation == "invoke" else br.MessageStart(role="assistant")
    )
    with FakeBedrock() as fake:
        fake.streams["m"] = _body(lead, exception)
        client: Any = boto3_client(fake.url)
        if operation == "invoke":
            stream = client.invoke_model_with_response_stream(modelId="m", body=b"{}")["body"]
        else:
            stream = client.converse_stream(modelId="m", messages=[])["stream"]
        received = []
        try:
            with pytest.raises(botocore_exceptions.EventStreamError) as info:
                received.extend(stream)
        finally:
            stream.close()
    assert len(received) == 1  # the event before the exception arrived intact
    if operation == "converse" and isinstance(exception, br.ModelTimeoutException):
        # Not a member of the Converse union: botocore finds no shape and reports nothing.
        # That is why decode_event(..., "converse") keeps it as an UnknownException.
        assert info.value.response == {"Error": {"Code": "", "Message": ""}}
        return
    # botocore keeps only the code and message of a stream exception (not, for example,
    # modelStreamErrorException's originalStatusCode): that is all a boto3 user can see.
    assert info.value.response == {
        "Error": {"Code": exception.exception_type, "Message": exception.message}
    }


def test_boto3_loses_a_pascal_case_exception_type() -> None:
    # What gateways that send "ThrottlingException" get wrong, and encode_event does not.
    frame = es.Message(
        [(":exception-type", "ThrottlingException"), (":content-type", "application/json"),
         (":message-type", "exception")],
        b'{"message":"slow down"}',
    )  # fmt: skip
    with FakeBedrock() as fake:
        fake.streams["m"] = frame.encode()
        client: Any = boto3_client(fake.url)
        stream = client.converse_stream(modelId="m", messages=[])["stream"]
        try:
            with pytest.raises(botocore_exceptions.EventStreamError) as info:
                list(stream)
        finally:
            stream.close()
    assert info.value.response == {"Error": {"Code": "", "Message": ""}}
    ours = br.encode_event(br.ThrottlingException("slow down"))
    assert ours.headers[":exception-type"] == "throttlingException"


def test_boto3_reads_error_frames() -> None:
    with FakeBedrock() as fake:
        fake.streams["m"] = _body(br.ErrorFrame("It broke", error_code="InternalFailure"))
        client: Any = boto3_client(fake.url)
        stream = client.invoke_model_with_response_stream(modelId="m", body=b"{}")["body"]
        try:
            with pytest.raises(botocore_exceptions.EventStreamError) as info:
                list(stream)
        finally:
            stream.close()
    assert info.value.response["Error"] == {"Code": "InternalFailure", "Message": "It broke"}
