"""The error and stop-reason tables, both directions, against the vocabularies the strangers
define: botocore's service model (Bedrock's errors, StopReason enum), the anthropic SDK's
StopReason and the openai SDK's finish_reason literals, and both SDKs' retry rule.
Also the translators' own edges: unknown input kept or refused with our error, never a
clean end that did not come.
"""

from __future__ import annotations

import typing

import pytest

import eventstream as es
from eventstream import bedrock as br
from eventstream import translate as tr
from eventstream.sse import ServerSentEvent

botocore_session = pytest.importorskip("botocore.session")
anthropic_types = pytest.importorskip("anthropic.types")
chunk_types = pytest.importorskip("openai.types.chat.chat_completion_chunk")

MODEL = botocore_session.get_session().get_service_model("bedrock-runtime")
ANTHROPIC_STOPS = set(typing.get_args(anthropic_types.StopReason))
OPENAI_FINISHES = set(
    typing.get_args(typing.get_args(chunk_types.Choice.model_fields["finish_reason"].annotation)[0])
)


def sdk_retries(status: int) -> bool:
    """What both SDKs retry (their ``_should_retry``, without ``x-should-retry``)."""
    return status in (408, 409, 429) or status >= 500


def _exception(code: str) -> br.BedrockException:
    return br.HTTP_ERRORS[code](f"{code}!")


# --- errors ------------------------------------------------------------------------------------


def test_the_error_table_has_every_modelled_error_of_the_streaming_operations_once() -> None:
    modelled = {
        shape.name
        for operation in ("ConverseStream", "InvokeModelWithResponseStream")
        for shape in MODEL.operation_model(operation).error_shapes
    }
    assert [row.bedrock for row in tr.ERRORS] == list(br.HTTP_ERRORS)
    assert set(br.HTTP_ERRORS) == modelled


@pytest.mark.parametrize("row", tr.ERRORS, ids=lambda r: r.bedrock)
def test_each_error_goes_out_with_its_row_and_stays_as_retryable(row: tr.ErrorPair) -> None:
    exception = _exception(row.bedrock)
    status, body = tr.anthropic_error(exception)
    assert (status, body) == (
        row.anthropic_status,
        {"type": "error", "error": {"type": row.anthropic_type, "message": exception.message}},
    )
    assert sdk_retries(status) == exception.retryable
    status, body = tr.openai_error(exception)
    assert status == row.openai_status and body["error"]["type"] == row.openai_type
    assert body["error"]["code"] == row.bedrock
    assert sdk_retries(status) == exception.retryable


@pytest.mark.parametrize("row", tr.ERRORS, ids=lambda r: r.bedrock)
def test_each_error_comes_back(row: tr.ErrorPair) -> None:
    exception = _exception(row.bedrock)
    back = tr.from_anthropic_error(*tr.anthropic_error(exception))
    if row.back:
        assert back == exception
    else:  # shares its Anthropic form with the row marked back: the same status and retry
        assert back.retryable == exception.retryable
        assert tr.anthropic_error(back)[0] == tr.anthropic_error(exception)[0]
    # OpenAI's error carries the Bedrock code: the same exception every time.
    assert tr.from_openai_error(*tr.openai_error(exception)) == exception
    # Mid-stream (no status): the type alone.
    midstream = tr.from_anthropic_error(None, tr.anthropic_error(exception)[1])
    assert midstream.retryable == exception.retryable or row.anthropic_status == 424


@pytest.mark.parametrize(
    ("status", "anthropic_type"),
    [(529, "overloaded_error"), (429, "rate_limit_error"), (400, "invalid_request_error"),
     (503, "overloaded_error"), (500, "api_error"), (404, "not_found_error")],
)  # fmt: skip
def test_a_model_stream_error_keeps_the_models_status(status: int, anthropic_type: str) -> None:
    exception = br.ModelStreamErrorException("", original_status_code=status,
                                             original_message="Overloaded")  # fmt: skip
    assert tr.anthropic_error(exception) == (
        status, {"type": "error", "error": {"type": anthropic_type, "message": "Overloaded"}},
    )  # fmt: skip
    openai_status, body = tr.openai_error(exception)
    assert openai_status == status
    back = tr.from_openai_error(openai_status, body)
    # The same error at the same status (an original 500 is the row's own: it reads as none).
    assert isinstance(back, br.ModelStreamErrorException)
    assert tr.openai_error(back)[0] == status and tr.anthropic_error(back)[0] == status


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        (401, "authentication_error", "AccessDeniedException"),
        (402, "billing_error", "ValidationException"),
        (413, "request_too_large", "ValidationException"),
        (529, "overloaded_error", "ServiceUnavailableException"),
        (504, "timeout_error", "ModelTimeoutException"),
        (418, "teapot_error", "ValidationException"),  # an unknown 4xx: refused
        (502, None, "InternalServerException"),
        (None, "unheard_of_error", "InternalServerException"),
    ],
)
def test_anthropic_errors_without_a_bedrock_row_read_by_status(
    status: int | None, kind: str | None, code: str
) -> None:
    body = {"type": "error", "error": {"type": kind, "message": "no"}}
    back = tr.from_anthropic_error(status, body)
    assert type(back) is br.HTTP_ERRORS[code] and back.message == "no"
    assert tr.from_anthropic_error(status, b'{"type": "error", "error": ').message == ""


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (429, {"error": {"message": "m", "type": "requests", "code": "rate_limit_exceeded"}},
         "ThrottlingException"),
        (503, {"error": {"message": "m", "type": "server_error", "code": None}},
         "ServiceUnavailableException"),
        (None, {"error": {"message": "m", "type": "rate_limit_error"}}, "ThrottlingException"),
        (None, {"message": "m", "type": "whatever"}, "InternalServerException"),
        (400, b"not json", "ValidationException"),
    ],
)  # fmt: skip
def test_openai_errors_read_by_code_then_status_then_type(
    status: int | None, body: object, code: str
) -> None:
    assert type(tr.from_openai_error(status, body)) is br.HTTP_ERRORS[code]


@pytest.mark.parametrize("stream", ["converse", "invoke"])
@pytest.mark.parametrize("code", list(br.HTTP_ERRORS))
def test_in_stream_gives_an_exception_the_union_carries(stream: str, code: str) -> None:
    exception = _exception(code)
    carried = tr.in_stream(exception, stream)
    assert type(carried) in br.STREAMS[stream].exceptions
    # boto3 decodes it: the frame's exception type is in the operation's union.
    assert br.decode_event(br.encode_event(carried), stream=stream) == carried  # type: ignore[arg-type]
    if type(exception) in br.STREAMS[stream].exceptions:
        assert carried is exception
    else:  # the status it stands for, kept as the model's own
        assert isinstance(carried, br.ModelStreamErrorException)
        assert carried.original_status_code == tr.anthropic_error(exception)[0]


def test_unknown_exceptions_go_out_as_errors_nothing_retries() -> None:
    frame = br.encode_event(br.ThrottlingException("x"))
    unknown = br.UnknownException("odd", frame=frame, name="brandNewException")
    error = br.ErrorFrame("bad", error_code="InternalFailure")
    for exception in (unknown, error):
        status, body = tr.anthropic_error(exception)
        assert not sdk_retries(status) and body["error"]["message"] == exception.message
        status, body = tr.openai_error(exception)
        assert not sdk_retries(status) and body["error"]["code"] is None


def test_error_responses_are_http_replies() -> None:
    reply = tr.anthropic_error_response(br.ThrottlingException("slow"), request_id="req_1")
    assert (reply.status, reply.headers["request-id"]) == (429, "req_1")
    assert reply.body == (
        b'{"type":"error","error":{"type":"rate_limit_error","message":"slow"},'
        b'"request_id":"req_1"}'
    )
    reply = tr.openai_error_response(br.ServiceUnavailableException("later"), request_id="r")
    assert (reply.status, reply.headers["x-request-id"]) == (503, "r")
    assert reply.body == (
        b'{"error":{"message":"later","type":"server_error","param":null,'
        b'"code":"ServiceUnavailableException"}}'
    )


# --- stop reasons ------------------------------------------------------------------------------


def test_the_stop_table_is_the_service_models_enum() -> None:
    assert sorted(row.converse for row in tr.STOP_REASONS) == sorted(
        MODEL.shape_for("StopReason").enum
    )
    # Every Anthropic and OpenAI value a row names is one the SDKs know, or a Converse value
    # sent as it is because that format has none.
    converse = {row.converse for row in tr.STOP_REASONS}
    assert {row.anthropic for row in tr.STOP_REASONS} <= ANTHROPIC_STOPS | converse
    assert {row.openai for row in tr.STOP_REASONS} <= OPENAI_FINISHES | converse


@pytest.mark.parametrize("row", tr.STOP_REASONS, ids=lambda r: r.converse)
def test_stop_reasons_both_ways_and_never_a_plain_success(row: tr.StopPair) -> None:
    assert tr.stop_to_anthropic(row.converse) == row.anthropic
    assert tr.stop_from_anthropic(row.anthropic) == row.converse  # Anthropic keeps them apart
    assert tr.stop_to_openai(row.converse) == row.openai
    back = tr.stop_from_openai(row.openai)
    assert back == row.converse if row.openai_back else tr.stop_to_openai(back) == row.openai
    if row.converse not in ("end_turn", "stop_sequence"):
        assert row.anthropic != "end_turn" and row.openai != "stop"
        assert tr.stop_from_openai(row.openai) not in ("end_turn", "stop_sequence")


def test_values_no_table_knows_go_across_as_they_are() -> None:
    assert tr.stop_from_anthropic("pause_turn") == "pause_turn"
    assert tr.stop_to_openai("pause_turn") == "pause_turn"
    assert tr.stop_from_openai("function_call") == "tool_use"
    assert tr.stop_from_openai("brand_new") == "brand_new"
    assert {tr.stop_from_anthropic(v) for v in ANTHROPIC_STOPS} <= (
        {row.converse for row in tr.STOP_REASONS} | {"pause_turn"}
    )


# --- the readers' edges ------------------------------------------------------------------------


@pytest.mark.parametrize("reader", [tr.AnthropicToBedrock, tr.OpenAIToBedrock])
def test_data_that_is_not_json_is_our_error_with_the_event_index(reader: type) -> None:
    translator = reader()
    with pytest.raises(tr.TranslateError) as info:
        translator.feed_sse(ServerSentEvent("{not json", "message_start"))
    assert isinstance(info.value, es.EventStreamError) and info.value.frame_index == 0
    with pytest.raises(tr.TranslateError):
        reader().feed_sse(ServerSentEvent("[1, 2]", "message_start"))
    # RFC 8259: no NaN or Infinity, and no number that overflows a double to one.
    for text in ('{"a": NaN}', '{"a": -Infinity}', '{"a": 1e999}', "[" * 100_000):
        with pytest.raises(tr.TranslateError):
            reader().feed_sse(ServerSentEvent(text, "message_start"))


def test_redacted_data_that_is_not_base64_is_our_error() -> None:
    start = {"type": "content_block_start", "index": 0,
             "content_block": {"type": "redacted_thinking", "data": "%%%"}}  # fmt: skip
    with pytest.raises(tr.TranslateError):
        tr.AnthropicToBedrock().feed(start)
    chunk = {"choices": [{"index": 0, "delta": {"reasoning_details": [
        {"type": "reasoning.encrypted", "data": "%%%", "index": 0}]}}]}  # fmt: skip
    with pytest.raises(tr.TranslateError):
        tr.OpenAIToBedrock().feed(chunk)


def test_a_stream_that_stops_short_never_ends_cleanly() -> None:
    # Bedrock side: cut before metadata.
    events = [br.MessageStart(role="assistant"), br.MessageStop(stop_reason="end_turn")]
    anthropic = b"".join(tr.to_anthropic(events))
    assert b"event: message_stop" not in anthropic and b"event: error" in anthropic
    openai = b"".join(tr.to_openai(events))
    assert b"[DONE]" not in openai and b'"error":' in openai
    # Client side: cut inside an SSE event, and without a finish_reason.
    cut = tr.AnthropicToBedrock()
    cut.feed_bytes(b'event: message_start\ndata: {"type":"message_start","message":{}}\n\nevent: x')
    assert [type(e) for e in cut.close()] == [br.InternalServerException]
    done = tr.OpenAIToBedrock()
    assert [type(e) for e in done.feed_bytes(b"data: [DONE]\n\n")] == [br.InternalServerException]


def test_stream_names_are_checked() -> None:
    for reader in (tr.AnthropicToBedrock, tr.OpenAIToBedrock):
        with pytest.raises(tr.TranslateError):
            reader("bidirectional-output")  # type: ignore[arg-type]


def test_an_iteration_that_raises_ends_in_an_error_event() -> None:
    def upstream() -> typing.Iterator[br.TypedEvent]:
        yield br.MessageStart(role="assistant")
        raise es.TruncatedError("cut", expected=10, received=3, offset=40)

    anthropic = b"".join(tr.to_anthropic(upstream()))
    assert anthropic.count(b"event: error\n") == 1 and b'"type":"api_error"' in anthropic
    assert b"message_stop" not in anthropic
    openai = b"".join(tr.to_openai(upstream()))
    assert b'"type":"server_error"' in openai and b"[DONE]" not in openai


WRONG_TYPES = {
    "AnthropicToBedrock.feed(None)": lambda: tr.AnthropicToBedrock().feed(None),
    "OpenAIToBedrock.feed([])": lambda: tr.OpenAIToBedrock().feed([]),
    "feed_bytes(str)": lambda: tr.AnthropicToBedrock().feed_bytes("data: {}\n\n"),
    "feed_bytes(None)": lambda: tr.OpenAIToBedrock().feed_bytes(None),
    "feed_sse(None)": lambda: tr.OpenAIToBedrock().feed_sse(None),
    "from_anthropic(None)": lambda: list(tr.from_anthropic(None)),
    "from_openai([str])": lambda: list(tr.from_openai(["data: {}\n\n"])),
    "to_anthropic(None)": lambda: list(tr.to_anthropic(None)),
    "to_openai(3)": lambda: list(tr.to_openai(3)),
    "from_anthropic_error('429', b'')": lambda: tr.from_anthropic_error("429", b""),
    "from_openai_error(True, b'')": lambda: tr.from_openai_error(True, b""),
    "stop_to_openai(None)": lambda: tr.stop_to_openai(None),
    "stop_from_anthropic([])": lambda: tr.stop_from_anthropic([]),
    "in_stream(None, 'converse')": lambda: tr.in_stream(None, "converse"),
    "in_stream(exc, 'nope')": lambda: tr.in_stream(br.ThrottlingException("x"), "nope"),
    "openai_error(None)": lambda: tr.openai_error(None),
    "anthropic_citation({})": lambda: tr.anthropic_citation({}),
    "converse_citation(None)": lambda: tr.converse_citation(None),
}


@pytest.mark.parametrize("name", sorted(WRONG_TYPES))
def test_wrong_argument_types_are_our_error(name: str) -> None:
    # As the codec does (es.decode(None)): InputTypeError, or ConfigurationError for a name.
    with pytest.raises((es.InputTypeError, es.ConfigurationError)):
        WRONG_TYPES[name]()  # type: ignore[no-untyped-call]
