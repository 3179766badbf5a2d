"""The typed Bedrock layer: captures, every event and exception, unknowns, bad payloads."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import eventstream as es
from eventstream import bedrock as br
from tests.support import shared_path


def _captures() -> list[Path]:
    return sorted(shared_path("captures").glob("*.bin"))


def _stream_of(path: Path) -> br.StreamName:
    return "converse" if "converse-stream" in path.name else "invoke"


# --- real captures --------------------------------------------------------------------------


def test_every_capture_decodes_to_its_description_and_reencodes_exactly() -> None:
    captures = _captures()
    assert len(captures) == 10
    for path in captures:
        data = path.read_bytes()
        described = json.loads(path.with_suffix(".decoded.json").read_text())["frames"]
        typed = list(br.events([data], _stream_of(path)))
        assert len(typed) == len(described), path.name
        for event, frame in zip(typed, described, strict=True):
            headers = dict(frame["headers"])
            assert isinstance(event, br.BedrockEvent)
            assert event.event_type == headers[":event-type"]
            payload = json.loads(frame["payload_utf8"])
            assert event.padding == payload.pop("p")
            if isinstance(event, br.Chunk):
                assert event.bytes == frame["chunk_bytes_decoded_utf8"].encode()
                assert event.json() == json.loads(frame["chunk_bytes_decoded_utf8"])
        # Re-encoding the typed events gives back the capture byte for byte.
        assert b"".join(br.encode_event(e).encode() for e in typed) == data, path.name


def test_converse_capture_fields_are_typed() -> None:
    data = shared_path(
        "captures", "aimock_converse-stream_claude-sonnet-4-5_tool_max_tokens.bin"
    ).read_bytes()
    start, block, delta, stop, message_stop, metadata = br.events([data], "converse")
    assert start == br.MessageStart(role="assistant")
    assert block == br.ContentBlockStart(
        content_block_index=0,
        start=br.ToolUseStart(
            tool_use_id="tooluse_oDRMhb7dEtfdOkCjisQipC", name="record_numbers", type="tool_use"
        ),
    )
    assert delta == br.ContentBlockDelta(content_block_index=0, delta=br.ToolUseDelta(input=""))
    assert stop == br.ContentBlockStop(content_block_index=0)
    assert message_stop == br.MessageStop(stop_reason="max_tokens")
    assert isinstance(metadata, br.Metadata)
    assert (metadata.usage.input_tokens, metadata.usage.output_tokens) == (692, 32)
    assert metadata.usage.total_tokens == 724
    # A field the model does not know yet is kept, not dropped.
    assert metadata.usage.extra == {"serverToolUsage": {}}
    assert metadata.metrics.latency_ms == 1484


def test_reasoning_capture_keeps_signature_and_empty_text() -> None:
    data = shared_path(
        "captures", "aimock_converse-stream_claude-sonnet-4-5_reasoning_excerpt.bin"
    ).read_bytes()
    empty, signed, stop, text = br.events([data], "converse")
    assert isinstance(empty, br.ContentBlockDelta)
    assert empty.delta == br.ReasoningContentDelta(text="")
    assert isinstance(signed, br.ContentBlockDelta)
    assert isinstance(signed.delta, br.ReasoningContentDelta)
    assert signed.delta.signature is not None
    assert signed.delta.signature.startswith("Es0KCn4IEhABGAIqQ")
    assert stop == br.ContentBlockStop(content_block_index=0)
    assert text == br.ContentBlockDelta(content_block_index=1, delta=br.TextDelta(text="#"))


# --- every event, built here ------------------------------------------------------------------

EVENTS: list[br.BedrockEvent] = [
    br.Chunk(bytes=b'{"type":"content_block_delta","index":0}'),
    br.Chunk(bytes=b""),
    br.MessageStart(role="assistant"),
    br.ContentBlockStart(
        content_block_index=1, start=br.ToolUseStart(tool_use_id="t1", name="get_weather")
    ),
    br.ContentBlockStart(
        content_block_index=2,
        start=br.ToolResultStart(tool_use_id="t1", type="text", status="success"),
    ),
    br.ContentBlockStart(content_block_index=3, start=br.ImageStart(format="png")),
    br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="Hé 👋")),
    br.ContentBlockDelta(content_block_index=1, delta=br.ToolUseDelta(input='{"city": "Par')),
    br.ContentBlockDelta(
        content_block_index=2,
        delta=br.ToolResultDelta(
            blocks=(br.ToolResultBlockDelta(text="22C"), br.ToolResultBlockDelta(json={"t": 22}))
        ),
    ),
    br.ContentBlockDelta(
        content_block_index=0, delta=br.ReasoningContentDelta(text="Let me think")
    ),
    br.ContentBlockDelta(content_block_index=0, delta=br.ReasoningContentDelta(signature="c2ln")),
    br.ContentBlockDelta(
        content_block_index=0, delta=br.ReasoningContentDelta(redacted_content=b"\x00\xffsecret")
    ),
    br.ContentBlockDelta(
        content_block_index=4,
        delta=br.CitationDelta(
            title="Doc",
            source="s3://b/k",
            source_content=(br.CitationSourceContent(text="quoted"),),
            location=br.CitationLocation(
                document_char=br.DocumentSpan(document_index=0, start=3, end=9),
                web=br.WebLocation(url="https://example.com", domain="example.com"),
            ),
        ),
    ),
    br.ContentBlockDelta(
        content_block_index=3,
        delta=br.ImageDelta(
            source=br.ImageSource(
                bytes=b"\x89PNG", s3_location=br.S3Location(uri="s3://b/i.png", bucket_owner="1")
            ),
            error=br.ErrorBlock(message="partial"),
        ),
    ),
    br.ContentBlockStop(content_block_index=1),
    br.MessageStop(
        stop_reason="tool_use", additional_model_response_fields={"stop_sequence": None}
    ),
    br.Metadata(
        usage=br.Usage(
            input_tokens=10,
            output_tokens=5,
            total_tokens=15,
            cache_read_input_tokens=2,
            cache_write_input_tokens=0,
            cache_details=(br.CacheDetail(ttl="5m", input_tokens=2),),
        ),
        metrics=br.Metrics(latency_ms=421),
        trace={"promptRouter": {"invokedModelId": "m"}},
        performance_config={"latency": "standard"},
        service_tier={"type": "default"},
    ),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_every_event_round_trips_with_bedrock_headers(event: br.BedrockEvent) -> None:
    message = br.encode_event(event)
    assert list(message.headers.items()) == [
        (":event-type", event.event_type),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ]
    body = json.loads(message.payload)
    # Compact JSON, keys sorted at every level, padding a prefix of the alphabet.
    assert (
        message.payload
        == json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert br.PADDING_ALPHABET.startswith(body["p"])
    assert len(body["p"]) >= 1
    stream = "converse" if not isinstance(event, br.Chunk) else "invoke"
    decoded = br.decode_event(es.decode(message.encode()), stream)
    assert decoded == event
    assert isinstance(decoded, br.BedrockEvent)
    assert decoded.padding == body["p"]
    # Decoded again, the same bytes: the padding travels with the event.
    assert br.encode_event(decoded).encode() == message.encode()


def test_wire_keys_are_lower_camel() -> None:
    message = br.encode_event(EVENTS[12], padding=False)
    assert json.loads(message.payload) == {
        "contentBlockIndex": 4,
        "delta": {
            "citation": {
                "title": "Doc",
                "source": "s3://b/k",
                "sourceContent": [{"text": "quoted"}],
                "location": {
                    "documentChar": {"documentIndex": 0, "start": 3, "end": 9},
                    "web": {"url": "https://example.com", "domain": "example.com"},
                },
            }
        },
    }
    blob = br.encode_event(EVENTS[11], padding=False)
    assert json.loads(blob.payload)["delta"]["reasoningContent"] == {
        "redactedContent": base64.b64encode(b"\x00\xffsecret").decode()
    }


def test_padding_choices() -> None:
    event = br.MessageStart(role="assistant")
    assert b'"p"' not in br.encode_event(event, padding=False).payload
    assert br.encode_event(event, padding="abc").payload == b'{"p":"abc","role":"assistant"}'
    with pytest.raises(ValueError, match="not a prefix"):
        br.encode_event(event, padding="xyz")
    lengths = {len(json.loads(br.encode_event(event).payload)["p"]) for _ in range(200)}
    assert len(lengths) > 10  # random lengths: padding exists to hide payload sizes


def test_chunk_json_helper_reports_non_json() -> None:
    with pytest.raises(br.BedrockPayloadError, match="not JSON"):
        br.Chunk(bytes=b"\xff not json").json()


# --- exceptions -----------------------------------------------------------------------------

EXCEPTIONS = [
    (br.InternalServerException, "internalServerException", 500, True),
    (br.ModelStreamErrorException, "modelStreamErrorException", 424, True),
    (br.ValidationException, "validationException", 400, False),
    (br.ThrottlingException, "throttlingException", 429, True),
    (br.ModelTimeoutException, "modelTimeoutException", 408, True),
    (br.ServiceUnavailableException, "serviceUnavailableException", 503, True),
]


@pytest.mark.parametrize(("cls", "name", "status", "retryable"), EXCEPTIONS)
def test_each_exception_is_a_value_and_raisable(
    cls: type[br.BedrockException], name: str, status: int, retryable: bool
) -> None:
    assert (cls.exception_type, cls.status_code, cls.retryable) == (name, status, retryable)
    value = cls("Something failed.")
    message = br.encode_event(value)
    assert list(message.headers.items()) == [
        (":exception-type", name),
        (":content-type", "application/json"),
        (":message-type", "exception"),
    ]
    assert message.payload == b'{"message":"Something failed."}'
    decoded = br.decode_event(message, "invoke", frame_index=3, offset=120)
    assert decoded == value
    assert isinstance(decoded, es.EventStreamError)
    assert (decoded.frame_index, decoded.offset) == (3, 120)
    assert f"{name} (HTTP {status})" in str(decoded)
    with pytest.raises(cls):
        raise decoded


def test_model_stream_error_keeps_the_models_own_error() -> None:
    value = br.ModelStreamErrorException(
        "Model failed", original_status_code=529, original_message="Overloaded"
    )
    message = br.encode_event(value)
    assert json.loads(message.payload) == {
        "message": "Model failed",
        "originalStatusCode": 529,
        "originalMessage": "Overloaded",
    }
    decoded = br.decode_event(message, "converse")
    assert isinstance(decoded, br.ModelStreamErrorException)
    assert (decoded.original_status_code, decoded.original_message) == (529, "Overloaded")
    assert decoded == value


def test_converse_has_no_model_timeout_but_invoke_does() -> None:
    message = br.encode_event(br.ModelTimeoutException("slow"))
    assert isinstance(br.decode_event(message, "invoke"), br.ModelTimeoutException)
    outside = br.decode_event(message, "converse")
    assert isinstance(outside, br.UnknownException)
    assert outside.name == "modelTimeoutException"
    assert outside.message == "slow"
    assert br.encode_event(outside) is message
    with pytest.raises(br.UnexpectedEventError) as info:
        br.decode_event(message, "converse", strict=True)
    assert info.value.frame is message


# --- unknowns, error frames and bad payloads ------------------------------------------------


def test_unknown_event_and_members_are_kept_whole() -> None:
    message = es.Message(
        [(":event-type", "serverToolCall"), (":content-type", "application/json"),
         (":message-type", "event")],
        b'{"p":"ab","tool":"search"}',
    )  # fmt: skip
    event = br.decode_event(message, "converse")
    assert event == br.UnknownEvent("serverToolCall", message, "converse")
    assert br.encode_event(event) is message
    chunk_in_converse = br.decode_event(br.encode_event(EVENTS[0]), "converse")
    assert isinstance(chunk_in_converse, br.UnknownEvent)
    delta = es.Message(
        br.encode_event(EVENTS[6]).headers,
        b'{"contentBlockIndex":0,"delta":{"audio":{"pcm":"AAA="}},"p":"a"}',
    )
    typed = br.decode_event(delta, "converse")
    assert isinstance(typed, br.ContentBlockDelta)
    assert typed.delta == br.UnknownDelta("audio", {"pcm": "AAA="})
    assert br.encode_event(typed).encode() == delta.encode()


def test_error_frames_map_to_error_frame() -> None:
    message = es.Message(
        [(":message-type", "error"), (":error-code", "InternalFailure"),
         (":error-message", "An internal error occurred")]
    )  # fmt: skip
    event = br.decode_event(message, "invoke")
    assert isinstance(event, br.ErrorFrame)
    assert (event.error_code, event.message) == ("InternalFailure", "An internal error occurred")
    assert br.encode_event(event) is message
    built = br.encode_event(
        br.ErrorFrame("An internal error occurred", error_code="InternalFailure")
    )
    assert built == message


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not an object"),
        (b"[" * 100_000, "not JSON"),
        (b'{"contentBlockIndex": "0", "delta": {"text": "x"}}', "expected int"),
        (b'{"contentBlockIndex": true, "delta": {"text": "x"}}', "expected int"),
        (b'{"contentBlockIndex": 0, "delta": {"text": 5}}', "expected str"),
        (b'{"contentBlockIndex": 0, "delta": {}}', "exactly one member"),
        (b'{"contentBlockIndex": 0, "delta": {"text": "a", "toolUse": {}}}', "exactly one"),
        (b'{"contentBlockIndex": 0, "delta": {"toolUse": "x"}}', "expected an object"),
        (b'{"contentBlockIndex": 0}', "missing required key 'delta'"),
        (b'{"contentBlockIndex": 0, "delta": {"reasoningContent": {"redactedContent": "*"}}}',
         "invalid base64"),
    ],
)  # fmt: skip
def test_bad_payloads_raise_our_error_with_the_whole_frame(payload: bytes, says: str) -> None:
    message = es.Message(br.encode_event(EVENTS[6]).headers, payload)
    with pytest.raises(br.BedrockPayloadError, match=says) as info:
        br.decode_event(message, "converse", frame_index=2, offset=300)
    assert isinstance(info.value, es.EventStreamError)
    assert info.value.frame is message
    assert (info.value.frame_index, info.value.offset) == (2, 300)


@given(st.binary(max_size=200), st.sampled_from(["event", "exception", "error", "other"]))
def test_any_payload_gives_a_typed_value_or_our_error(payload: bytes, message_type: str) -> None:
    for name in ("contentBlockDelta", "metadata", "chunk", "throttlingException"):
        message = es.Message(
            {":event-type": name, ":exception-type": name, ":message-type": message_type},
            payload,
        )
        try:
            event = br.decode_event(message, "converse")
        except es.EventStreamError:
            continue
        assert isinstance(event, br.BedrockEvent | br.BedrockException | br.UnknownEvent)


# --- iterating ------------------------------------------------------------------------------


def _stream_bytes(*typed: br.TypedEvent) -> bytes:
    # Fixed padding, so that two calls give the same lengths.
    return b"".join(br.encode_event(e, padding="abc").encode() for e in typed)


def test_events_raise_exceptions_after_yielding_what_came_before() -> None:
    first, second = EVENTS[2], EVENTS[6]
    data = _stream_bytes(first, second, br.ThrottlingException("slow down"), EVENTS[14])
    seen: list[br.TypedEvent] = []
    with pytest.raises(br.ThrottlingException) as info:
        seen.extend(br.events([data], "converse"))
    assert seen == [first, second]
    assert info.value.frame_index == 2
    assert info.value.offset == len(_stream_bytes(first, second))
    assert info.value.retryable
    yielded = list(br.events([data], "converse", raise_exceptions=False))
    assert yielded == [first, second, br.ThrottlingException("slow down"), EVENTS[14]]


def test_events_report_truncation_and_payload_offsets() -> None:
    data = _stream_bytes(EVENTS[2], EVENTS[6])
    with pytest.raises(es.TruncatedError):
        list(br.events([data[:-1]], "converse"))
    bad = es.Message(br.encode_event(EVENTS[6]).headers, b"{").encode()
    with pytest.raises(br.BedrockPayloadError) as info:
        list(br.events([data, bad], "converse"))
    assert (info.value.frame_index, info.value.offset) == (2, len(data))


def test_aevents_is_the_async_twin() -> None:
    data = _stream_bytes(*EVENTS[2:8], br.ValidationException("bad"))

    async def chunks() -> object:
        for i in range(0, len(data), 9):
            yield data[i : i + 9]

    async def collect(raise_exceptions: bool) -> list[br.TypedEvent]:
        return [
            event
            async for event in br.aevents(
                chunks(),  # type: ignore[arg-type]
                "converse",
                raise_exceptions=raise_exceptions,
            )
        ]

    assert asyncio.run(collect(False)) == [*EVENTS[2:8], br.ValidationException("bad")]
    with pytest.raises(br.ValidationException):
        asyncio.run(collect(True))


def test_unknown_stream_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown stream"):
        br.decode_event(br.encode_event(EVENTS[2]), "chat")  # type: ignore[arg-type]


def test_stream_tables_match_the_service_model() -> None:
    botocore_session = pytest.importorskip("botocore.session")
    model = botocore_session.get_session().get_service_model("bedrock-runtime")
    for stream in br.STREAMS.values():
        shape = model.shape_for(stream.shape)
        events = {k for k, v in shape.members.items() if not v.metadata.get("exception")}
        exceptions = {
            k: v.metadata["error"]["httpStatusCode"]
            for k, v in shape.members.items()
            if v.metadata.get("exception")
        }
        assert {c.event_type for c in stream.events} == events
        assert {c.exception_type: c.status_code for c in stream.exceptions} == exceptions
