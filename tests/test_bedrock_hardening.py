"""The Bedrock layer on hostile but well-framed input: nothing escapes, nothing is lost."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventstream as es
from eventstream import bedrock as br
from eventstream.bedrock._wire import _plan
from tests.test_bedrock import EVENTS

EVENT_HEADERS = [(":content-type", "application/json"), (":message-type", "event")]


def _event(name: str, payload: bytes) -> es.Message:
    return es.Message([(":event-type", name), *EVENT_HEADERS], payload)


def _exception(name: str, payload: bytes) -> es.Message:
    return es.Message(
        [(":exception-type", name), (":content-type", "application/json"),
         (":message-type", "exception")],
        payload,
    )  # fmt: skip


# --- one JSON leaf replaced, anywhere, by any JSON value -----------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(value[head], tuple(rest), new)
    return copy


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(EVENTS), st.data(), json_values)
def test_any_leaf_replaced_gives_a_faithful_event_or_our_error(
    event: br.BedrockEvent, data: st.DataObject, new: Any
) -> None:
    message = br.encode_event(event)
    body = json.loads(message.payload)
    path = data.draw(st.sampled_from(_paths(body)))
    mutated = es.Message(message.headers, json.dumps(_replace(body, path, new)).encode())
    stream = "invoke" if isinstance(event, br.Chunk) else "converse"
    try:
        typed = br.decode_event(mutated, stream)
    except br.BedrockPayloadError as exc:
        assert exc.frame is mutated
        return
    # Accepted: it re-encodes, and the re-encoding decodes to the same event and JSON value.
    # (An event that came without padding, such as a bare {} chunk, is sent without.)
    again = br.encode_event(typed, padding=typed.padding is not None)
    assert json.loads(again.payload) == json.loads(mutated.payload)
    assert br.decode_event(again, stream) == typed


# --- padding, surrogates, depth -------------------------------------------------------------


def test_padding_outside_the_alphabet_is_kept_as_an_ordinary_key() -> None:
    message = _event("messageStart", b'{"p":"xyz","role":"assistant"}')
    event = br.decode_event(message, "converse")
    assert isinstance(event, br.MessageStart)
    assert event.padding is None
    assert event.extra == {"p": "xyz"}
    assert br.encode_event(event).payload == message.payload
    with pytest.raises(es.EncodeError, match="not a prefix"):
        br.encode_event(br.MessageStart(role="assistant"), padding="xyz")


def test_lone_surrogates_survive_as_escapes() -> None:
    message = _event("messageStart", b'{"p":"abc","role":"\\ud800"}')
    event = br.decode_event(message, "converse")
    assert br.encode_event(event).payload == message.payload


def test_too_deep_json_is_our_error() -> None:
    deep = b'{"stopReason":"end_turn","additionalModelResponseFields":' + b"[" * 300
    deep += b"]" * 300 + b"}"
    with pytest.raises(br.BedrockPayloadError, match="nests deeper than 200"):
        br.decode_event(_event("messageStop", deep), "converse")
    fine = b'{"stopReason":"end_turn","additionalModelResponseFields":' + b"[" * 150
    fine += b"]" * 150 + b"}"
    event = br.decode_event(_event("messageStop", fine), "converse")
    assert json.loads(br.encode_event(event, padding=False).payload) == json.loads(fine)


# --- exceptions with odd payloads stay exceptions ---------------------------------------------


@pytest.mark.parametrize("payload", [b"not json", b"[1]", b"", b'"text"', b"{" * 300 + b"}" * 300])
def test_exception_with_a_non_object_payload_keeps_its_class(payload: bytes) -> None:
    message = _exception("throttlingException", payload)
    event = br.decode_event(message, "converse")
    assert isinstance(event, br.ThrottlingException)
    assert event.retryable
    assert event.raw_payload == payload
    assert br.encode_event(event).payload == payload
    with pytest.raises(br.ThrottlingException):
        list(br.events([message.encode()], "converse"))


@pytest.mark.parametrize(
    "payload",
    [
        b'{"message":null}',
        b'{"message":5,"other":[1]}',
        b'{"message":"m","originalStatusCode":"x","originalMessage":5}',
        b'{"message":"m","originalStatusCode":null}',
        b'{"message":"m","originalStatusCode":true}',
    ],
)
def test_exception_fields_of_the_wrong_type_stay_in_extra(payload: bytes) -> None:
    event = br.decode_event(_exception("modelStreamErrorException", payload), "invoke")
    assert isinstance(event, br.ModelStreamErrorException)
    assert isinstance(event.message, str)
    assert event.original_status_code is None or isinstance(event.original_status_code, int)
    assert event.original_message is None or isinstance(event.original_message, str)
    assert json.loads(br.encode_event(event).payload) == json.loads(payload)


# --- values: equality, hashing, immutability ----------------------------------------------------


def test_events_are_hashable_and_immutable() -> None:
    event = br.MessageStart(role="assistant", extra={"x": [1]})
    assert hash(event) == hash(br.MessageStart(role="assistant", extra={"x": [2]}))
    with pytest.raises(TypeError):
        event.extra["y"] = 2  # type: ignore[index]
    assert {*EVENTS} >= {EVENTS[0]}  # every built event hashes


def test_error_frames_equal_after_a_round_trip() -> None:
    built = br.ErrorFrame("x", error_code="c")
    assert br.decode_event(br.encode_event(built), "invoke") == built


# --- the reassembler reads the model's JSON defensively --------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"type": "error", "error": "overloaded"},
        {"type": "error", "error": None},
        {"type": "content_block_delta", "index": 0, "delta": "x"},
        {"type": "content_block_delta", "index": "0", "delta": {"type": "text_delta"}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "redacted_thinking", "data": "YQ"}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": 5}},
        {"type": "content_block_start", "index": 0, "content_block": [1]},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "tool_use", "id": None, "name": 7}},
        {"type": "message_start", "message": {"model": 5, "id": None, "usage": [1]}},
        {"type": "message_start", "message": "m"},
        {"type": "message_delta", "delta": {"stop_reason": 3}, "usage": 4},
        {"type": "message_stop", "amazon-bedrock-invocationMetrics": "x"},
        {"type": "content_block_delta", "index": True, "delta": {"type": "text_delta", "text": 1}},
    ],
)  # fmt: skip
def test_reassembler_survives_odd_model_json(body: dict[str, Any]) -> None:
    result = br.reassemble([br.Chunk(bytes=json.dumps(body).encode())])
    for value in (result.model, result.id, result.role, result.stop_reason):
        assert value is None or isinstance(value, str)
    for block in result.content:
        if isinstance(block, br.ToolUseBlock):
            assert isinstance(block.id, str)
            assert isinstance(block.name, str)
        elif isinstance(block, br.TextBlock | br.ReasoningBlock):
            assert isinstance(block.text, str)
    result.to_anthropic()
    result.to_converse()


def test_reassembler_names_error_frames_and_unknown_exceptions() -> None:
    unknown = br.decode_event(_exception("quotaException", b'{"message":"q"}'), "invoke")
    result = br.reassemble([br.ErrorFrame("boom", error_code="InternalFailure"), unknown])
    assert [error.type for error in result.errors] == ["InternalFailure", "quotaException"]


# --- every nested shape against the service model ---------------------------------------------

SHAPES: dict[type, str] = {
    br.MessageStart: "MessageStartEvent",
    br.ContentBlockStart: "ContentBlockStartEvent",
    br.ContentBlockDelta: "ContentBlockDeltaEvent",
    br.ContentBlockStop: "ContentBlockStopEvent",
    br.MessageStop: "MessageStopEvent",
    br.Metadata: "ConverseStreamMetadataEvent",
    br.ToolUseStart: "ToolUseBlockStart",
    br.ToolResultStart: "ToolResultBlockStart",
    br.ImageStart: "ImageBlockStart",
    br.ToolUseDelta: "ToolUseBlockDelta",
    br.ToolResultBlockDelta: "ToolResultBlockDelta",
    br.ReasoningContentDelta: "ReasoningContentBlockDelta",
    br.CitationDelta: "CitationsDelta",
    br.CitationSourceContent: "CitationSourceContentDelta",
    br.CitationLocation: "CitationLocation",
    br.WebLocation: "WebLocation",
    br.DocumentSpan: "DocumentCharLocation",
    br.SearchResultSpan: "SearchResultLocation",
    br.ImageDelta: "ImageBlockDelta",
    br.ImageSource: "ImageSource",
    br.S3Location: "S3Location",
    br.ErrorBlock: "ErrorBlock",
    br.Usage: "TokenUsage",
    br.CacheDetail: "CacheDetail",
    br.Metrics: "ConverseStreamMetrics",
    # metadata.trace, performanceConfig, serviceTier: past Trace, the classes keep the names
    br.Trace: "ConverseStreamTrace",
    **{
        cls: cls.__name__
        for cls in (
            br.PromptRouterTrace,
            br.PerformanceConfiguration,
            br.ServiceTier,
            br.GuardrailTraceAssessment,
            br.GuardrailAssessment,
            br.GuardrailTopicPolicyAssessment,
            br.GuardrailTopic,
            br.GuardrailContentPolicyAssessment,
            br.GuardrailContentFilter,
            br.GuardrailWordPolicyAssessment,
            br.GuardrailCustomWord,
            br.GuardrailManagedWord,
            br.GuardrailSensitiveInformationPolicyAssessment,
            br.GuardrailPiiEntityFilter,
            br.GuardrailRegexFilter,
            br.GuardrailContextualGroundingPolicyAssessment,
            br.GuardrailContextualGroundingFilter,
            br.GuardrailAutomatedReasoningPolicyAssessment,
            br.GuardrailAutomatedReasoningValidFinding,
            br.GuardrailAutomatedReasoningInvalidFinding,
            br.GuardrailAutomatedReasoningSatisfiableFinding,
            br.GuardrailAutomatedReasoningImpossibleFinding,
            br.GuardrailAutomatedReasoningTranslationAmbiguousFinding,
            br.GuardrailAutomatedReasoningTooComplexFinding,
            br.GuardrailAutomatedReasoningNoTranslationsFinding,
            br.GuardrailAutomatedReasoningTranslation,
            br.GuardrailAutomatedReasoningStatement,
            br.GuardrailAutomatedReasoningInputTextReference,
            br.GuardrailAutomatedReasoningScenario,
            br.GuardrailAutomatedReasoningRule,
            br.GuardrailAutomatedReasoningLogicWarning,
            br.GuardrailAutomatedReasoningTranslationOption,
            br.GuardrailInvocationMetrics,
            br.GuardrailUsage,
            br.GuardrailCoverage,
            br.GuardrailTextCharactersCoverage,
            br.GuardrailImageCoverage,
            br.AppliedGuardrailDetails,
        )
    },
}


@pytest.mark.parametrize("cls", list(SHAPES), ids=lambda c: c.__name__)
def test_every_shape_has_the_service_models_members(cls: type) -> None:
    botocore_session = pytest.importorskip("botocore.session")
    model = botocore_session.get_session().get_service_model("bedrock-runtime")
    shape = model.shape_for(SHAPES[cls])
    plan = _plan(cls)
    assert {key for _, key, _, _, _ in plan} == set(shape.members)
    assert {key for _, key, _, _, required in plan if required} == set(shape.required_members)


def test_a_chunk_without_bytes_is_what_the_model_allows() -> None:
    # The model makes bytes optional and botocore reads {"chunk": {}}: so do we, both ways.
    event = br.decode_event(_event("chunk", b'{"p":"abc"}'), "invoke")
    assert event == br.Chunk() and event.bytes is None and event.padding == "abc"
    assert br.encode_event(event).payload == b'{"p":"abc"}'
    result = br.reassemble([event])
    assert result.errors == () and result.content == ()
    with pytest.raises(br.BedrockPayloadError, match="no bytes"):
        event.json()


def test_an_exception_without_message_goes_back_without_one() -> None:
    frame = es.Message(
        {":message-type": "exception", ":exception-type": "throttlingException"}, b"{}"
    )
    exception = br.decode_event(frame, "invoke")
    assert isinstance(exception, br.ThrottlingException) and exception.message == ""
    assert not exception.message_sent and br.exception_body(exception) == {}
    assert br.encode_event(exception).payload == b"{}"
    assert br.ThrottlingException("").message_sent  # one built in code says its message


def test_non_canonical_base64_is_refused_not_silently_rewritten() -> None:
    # Found by the Bedrock fuzz harness: "YR==" decodes to b"a" but re-encodes as "YQ==".
    for text in (b"YR==", b"YWJj==", b"YQ==YQ=="):  # spare bits, excess padding, inner padding
        payload = b'{"bytes":"' + text + b'","p":"a"}'
        with pytest.raises(br.BedrockPayloadError):
            br.decode_event(_event("chunk", payload), "invoke")
    event = br.decode_event(_event("chunk", b'{"bytes":"YQ==","p":"a"}'), "invoke")
    assert event == br.Chunk(bytes=b"a")


@pytest.mark.parametrize(
    "call",
    [
        lambda: br.decode_event(None),  # type: ignore[arg-type]
        lambda: br.decode_event(b"\x00\x00"),  # type: ignore[arg-type]
        lambda: br.encode_event(None),  # type: ignore[arg-type]
        lambda: br.encode_event("chunk"),  # type: ignore[arg-type]
        lambda: br.EventReader("converse").read(None),  # type: ignore[arg-type]
        lambda: br.EventReader("auto").read({"headers": {}}),  # type: ignore[arg-type]
        lambda: br.EventReader("converse").read_frame(None),  # type: ignore[arg-type]
        lambda: br.reassemble(None),  # type: ignore[arg-type]
        lambda: br.reassemble([br.MessageStart(role="assistant"), None]),  # type: ignore[list-item]
        lambda: br.Reassembler().add(5),  # type: ignore[arg-type]
    ],
    ids=[
        "decode None",
        "decode bytes",
        "encode None",
        "encode str",
        "read None",
        "read dict",
        "read_frame None",
        "reassemble None",
        "reassemble [None]",
        "add int",
    ],
)
def test_wrong_argument_types_are_input_type_errors(call: Any) -> None:
    # Each raised AttributeError or TypeError (or, for the reassembler, was silently skipped).
    with pytest.raises(es.InputTypeError):
        call()
