"""EventReader and stream="auto", stream paths, exception bodies, strict JSON, Anthropic events."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import random
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

import eventstream as es
from eventstream import bedrock as br
from eventstream.bedrock._json import dumps
from tests.markdown import python_blocks

DOCS = Path(__file__).resolve().parent.parent / "docs" / "bedrock.md"


def _converse() -> bytes:
    events = [
        br.MessageStart(role="assistant"),
        br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="Hi")),
        br.ContentBlockStop(content_block_index=0),
        br.MessageStop(stop_reason="end_turn"),
    ]
    return b"".join(br.encode_event(e, padding=False).encode() for e in events)


def _throttled() -> bytes:
    return br.encode_event(br.ThrottlingException("slow down")).encode()


def test_the_docs_reader_example_runs_and_prints_what_it_says() -> None:
    (block,) = [b for b in python_blocks(DOCS.read_text()) if "EventReader" in b.code]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(block.compiled(str(DOCS)), {"bedrock": br, "eventstream": es, "data": _converse()})
    assert printed.getvalue() == "converse converse (detected from its 'messageStart' event)\n"


@pytest.mark.parametrize(
    ("data", "stream", "note"),
    [
        (_converse(), "converse", "converse (detected from its 'messageStart' event)"),
        (
            br.encode_event(br.Chunk(bytes=b"{}")).encode(),
            "invoke",
            "invoke (detected from its 'chunk' events; a bidirectional stream needs --stream)",
        ),
        (
            es.Message({":message-type": "event", ":event-type": "mystery"}).encode(),
            None,
            "unknown (the first event type, 'mystery', is in no Bedrock stream)",
        ),
        (b"", None, "unknown (no event frame to detect it from; exceptions decode anyway)"),
    ],
)
def test_auto_settles_the_stream_from_the_first_event(
    data: bytes, stream: str | None, note: str
) -> None:
    reader = br.EventReader("auto")
    for frame in es.Decoder().frames(data):
        reader.read_frame(frame)
    assert (reader.stream, reader.stream_note) == (stream, note)


def test_auto_raises_an_exception_that_comes_before_any_event() -> None:
    with pytest.raises(br.ThrottlingException) as caught:
        list(br.events([_throttled() + _converse()], stream="auto"))
    assert caught.value.retryable and caught.value.frame_index == 0
    got = list(br.events([_throttled() + _converse()], "auto", raise_exceptions=False))
    assert isinstance(got[0], br.ThrottlingException)
    assert isinstance(got[1], br.MessageStart) and got[-1] == br.MessageStop(stop_reason="end_turn")


def test_auto_gives_the_same_events_as_the_named_stream() -> None:
    data = _converse()
    assert list(br.events([data], "auto")) == list(br.events([data], "converse"))


async def _collect(data: bytes) -> list[br.TypedEvent]:
    async def source():  # type: ignore[no-untyped-def]
        yield data

    return [event async for event in br.aevents(source(), "auto")]


def test_aevents_takes_auto() -> None:
    assert asyncio.run(_collect(_converse())) == list(br.events([_converse()], "converse"))


def test_a_bad_stream_name_is_a_configuration_error() -> None:
    for bad in ("Invoke", "", ["converse"]):
        with pytest.raises(es.ConfigurationError, match="unknown stream"):
            br.EventReader(bad)  # type: ignore[arg-type]
        with pytest.raises(es.ConfigurationError):
            list(br.events([b""], bad))  # type: ignore[arg-type]


def test_reader_positions_reach_errors() -> None:
    bad = es.Message(
        {":message-type": "event", ":event-type": "messageStart"}, b'{"role": 5}'
    ).encode()
    reader = br.EventReader("converse")
    *good, last = es.Decoder().frames(_converse() + bad)
    types = [type(reader.read_frame(frame)) for frame in good]
    assert types == [br.MessageStart, br.ContentBlockDelta, br.ContentBlockStop, br.MessageStop]
    with pytest.raises(br.BedrockPayloadError) as caught:
        reader.read_frame(last)
    assert (caught.value.frame_index, caught.value.offset) == (4, len(_converse()))


def test_stream_paths() -> None:
    assert br.STREAMS["converse"].http_path == "/model/{modelId}/converse-stream"
    cases = {
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse-stream": "converse",
        "/model/anthropic.claude-v2/invoke-with-response-stream?x=1": "invoke",
        "/model/m/invoke-with-bidirectional-stream/": "bidirectional-output",
        "/model/m/converse": None,
        "/model/m/invoke": None,
    }
    for url, stream in cases.items():
        assert br.stream_from_path(url) == stream, url


def test_stream_paths_are_the_service_models() -> None:
    botocore_session = pytest.importorskip("botocore.session")
    model = botocore_session.get_session().get_service_model("bedrock-runtime")
    for stream in br.STREAMS.values():
        assert model.operation_model(stream.operation).http["requestUri"] == stream.http_path


def test_exception_body_is_what_the_frame_carries() -> None:
    error = br.ModelStreamErrorException(
        "upstream failed", original_status_code=503, original_message="busy"
    )
    body = br.exception_body(error)
    assert body == {"message": "upstream failed", "originalStatusCode": 503,
                    "originalMessage": "busy"}  # fmt: skip
    assert json.loads(br.encode_event(error).payload) == body


@pytest.mark.parametrize("text", [b'{"role":NaN}', b'{"role":Infinity}', b'{"x":-Infinity}',
                                  b'{"x":1e999}'])  # fmt: skip
def test_json_that_is_not_rfc_8259_is_a_payload_error(text: bytes) -> None:
    message = es.Message({":message-type": "event", ":event-type": "messageStart"}, text)
    with pytest.raises(br.BedrockPayloadError, match="not JSON"):
        br.decode_event(message, "converse")


def test_encode_event_refuses_what_json_cannot_carry() -> None:
    event = br.MessageStop(stop_reason="end_turn", additional_model_response_fields=float("nan"))
    with pytest.raises(es.EncodeError, match="JSON cannot carry"):
        br.encode_event(event)


def test_payload_json_given_is_not_changed_and_gives_the_same_event() -> None:
    payload = b'{"p":"abc","role":"assistant"}'
    message = es.Message({":message-type": "event", ":event-type": "messageStart"}, payload)
    parsed = json.loads(payload)
    event = br.decode_event(message, "converse", payload_json=parsed)
    assert parsed == {"p": "abc", "role": "assistant"}
    assert event == br.decode_event(message, "converse") and event.padding == "abc"


def test_read_anthropic_reads_each_kind() -> None:
    def read(value: object) -> br.AnthropicEvent:
        event = br.read_anthropic(value)
        assert event is not None
        return event

    start = read({"type": "message_start", "message": {"role": "assistant", "model": "m",
                  "id": "i", "usage": {"input_tokens": 3}}})  # fmt: skip
    assert (start.role, start.model, start.id, dict(start.usage)) == (
        "assistant", "m", "i", {"input_tokens": 3}
    )  # fmt: skip
    tool = read({"type": "content_block_start", "index": 1,
                 "content_block": {"type": "tool_use", "id": "t", "name": "f"}})  # fmt: skip
    assert (tool.index, tool.block_type, tool.tool_id, tool.tool_name) == (1, "tool_use", "t", "f")
    for delta_type, key in (("text_delta", "text"), ("input_json_delta", "partial_json"),
                            ("thinking_delta", "thinking")):  # fmt: skip
        delta = read({"type": "content_block_delta", "index": 0,
                      "delta": {"type": delta_type, key: "x"}})  # fmt: skip
        assert (delta.delta_type, delta.text) == (delta_type, "x")
    signed = read({"type": "content_block_delta", "index": 0,
                   "delta": {"type": "signature_delta", "signature": "sig"}})  # fmt: skip
    assert signed.signature == "sig" and signed.text is None
    stop = read({"type": "message_delta", "delta": {"stop_reason": "tool_use"},
                 "usage": {"output_tokens": 9}})  # fmt: skip
    assert (stop.stop_reason, dict(stop.usage)) == ("tool_use", {"output_tokens": 9})
    end = read({"type": "message_stop", "amazon-bedrock-invocationMetrics": {"a": 1}})
    assert dict(end.metrics) == {"a": 1}
    error = read({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})
    assert (error.error_type, error.error_message) == ("overloaded_error", "busy")
    # Odd types leave fields empty; what is not an Anthropic event is None.
    odd = read({"type": "content_block_start", "index": True, "content_block": []})
    assert (odd.index, odd.block_type) == (None, None)
    for value in ([], {"type": 1}, None, "message_start"):
        assert br.read_anthropic(value) is None


_ANTHROPIC_FIELDS = dataclasses.fields(br.AnthropicEvent)


@given(st.data())
def test_anthropic_event_s_generated_init_is_the_dataclass_s(data: st.DataObject) -> None:
    # AnthropicEvent's __init__ is generated (through the slots); it must take what the
    # dataclass's took, positionally or by name, with the same defaults.
    values = {f.name: data.draw(st.none() | st.text(max_size=3), label=f.name)
              for f in _ANTHROPIC_FIELDS}  # fmt: skip
    given_names = data.draw(st.sets(st.sampled_from([f.name for f in _ANTHROPIC_FIELDS[2:]])))
    positional = data.draw(st.integers(0, len(_ANTHROPIC_FIELDS)), label="positional")
    names = [f.name for f in _ANTHROPIC_FIELDS]
    args = [values[name] for name in names[:positional]]
    kwargs = {n: values[n] for n in names[positional:] if n in given_names or n in names[:2]}
    event = br.AnthropicEvent(*args, **kwargs)
    for field in _ANTHROPIC_FIELDS:
        index = names.index(field.name)
        if index < positional or field.name in kwargs:
            assert getattr(event, field.name) == values[field.name]
        elif field.default is not dataclasses.MISSING:
            assert getattr(event, field.name) == field.default
        else:
            assert getattr(event, field.name) == {}  # usage, metrics: an empty mapping
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.text = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        br.AnthropicEvent()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        br.AnthropicEvent("t", {}, nonsense=1)  # type: ignore[call-arg]


def test_rows_and_status_render_the_answer_once() -> None:
    result = br.reassemble(br.events([_converse()], "converse"))
    assert result.status == "incomplete: the stream ended before its last event"
    assert result.rows() == [("role", "assistant"), ("text", "Hi"), ("stop reason", "end_turn")]
    cut = br.reassemble(br.events([_converse() + _throttled()], "converse",
                                  raise_exceptions=False))  # fmt: skip
    assert cut.status == "incomplete: ended by throttlingException"
    assert cut.rows()[-1] == ("error", "throttlingException (HTTP 429, retryable): slow down")


@given(
    text=st.text(),
    index=st.integers(-(2**40), 2**40),
    padding=st.one_of(st.booleans(), st.sampled_from(["", "a", br.PADDING_ALPHABET])),
)
def test_the_text_delta_fast_path_writes_what_the_general_path_writes(
    text: str, index: int, padding: bool | str
) -> None:
    event = br.ContentBlockDelta(content_block_index=index, delta=br.TextDelta(text=text),
                                 padding="abc")  # fmt: skip
    # The same event with an extra key takes the general path; without it, the fast one.
    general = br.encode_event(_with_extra(event), padding=padding).payload
    fast = br.encode_event(event, padding=padding).payload
    assert json.loads(fast) == {k: v for k, v in json.loads(general).items() if k != "zz"}
    assert fast == _dumped_without(general, "zz")
    assert br.decode_event(br.encode_event(event, padding=padding), "converse") == event


def _with_extra(event: br.ContentBlockDelta) -> br.ContentBlockDelta:
    return br.ContentBlockDelta(
        content_block_index=event.content_block_index, delta=event.delta,
        padding=event.padding, extra={"zz": 1},
    )  # fmt: skip


def _dumped_without(payload: bytes, key: str) -> bytes:
    # The general path's bytes with one top-level key taken out, written the same way.
    value = json.loads(payload)
    del value[key]
    return dumps(value)


def _peak(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "shape",
    [
        b"[" + b",".join([b"[]"] * 200_000) + b"]",  # many shallow values: the quick test
        b"[" + b",".join([b"[" * 9 + b"]" * 9] * 20_000) + b"]",  # too deep for it: the walk
    ],
)
def test_the_depth_check_costs_little_beside_the_parse(shape: bytes) -> None:
    payload = b'{"stopReason":"end_turn","additionalModelResponseFields":' + shape + b"}"
    message = es.Message({":message-type": "event", ":event-type": "messageStop"}, payload)
    parse = _peak(lambda: json.loads(payload))
    decode = _peak(lambda: br.decode_event(message, "converse"))
    # The event holds the parsed value; the check adds at most a list of references a level.
    assert decode < 1.6 * parse, (decode, parse)
    assert br.decode_event(message, "converse").additional_model_response_fields == json.loads(
        shape
    )


# --- reassembly keeps apart what does not belong together -------------------------------------


def _delta(index: int, delta: br.Delta) -> br.ContentBlockDelta:
    return br.ContentBlockDelta(content_block_index=index, delta=delta)


def _tool_start(index: int) -> br.ContentBlockStart:
    return br.ContentBlockStart(
        content_block_index=index, start=br.ToolUseStart(tool_use_id="t1", name="f")
    )


_END = [br.MessageStop(stop_reason="end_turn"),
        br.Metadata(usage=br.Usage(input_tokens=1, output_tokens=2, total_tokens=3),
                    metrics=br.Metrics(latency_ms=5))]  # fmt: skip


@pytest.mark.parametrize(
    ("events", "error", "blocks"),
    [
        # a text delta in a tool-use block
        ([_tool_start(0), _delta(0, br.ToolUseDelta(input='{"a":')),
          _delta(0, br.TextDelta(text="hi"))], "misplaced_delta", ["tool_use", "text"]),
        # a tool-use delta in a text block
        ([_delta(0, br.TextDelta(text="hi")), _delta(0, br.ToolUseDelta(input="{}"))],
         "misplaced_delta", ["text", "tool_use"]),
        # a start for an index that has content already
        ([_delta(0, br.TextDelta(text="hi")), _tool_start(0)], "block_restarted",
         ["text", "tool_use"]),
        # a delta after messageStop + metadata
        ([_delta(0, br.TextDelta(text="hi")), *_END, _delta(1, br.TextDelta(text="late"))],
         "event_after_end", ["text", "text"]),
    ],
)  # fmt: skip
def test_reassembly_never_merges_what_does_not_belong_together(
    events: list[br.TypedEvent], error: str, blocks: list[str]
) -> None:
    result = br.reassemble([br.MessageStart(role="assistant"), *events])
    assert not result.complete
    assert [e.type for e in result.errors][:1] == [error]
    kinds = {br.TextBlock: "text", br.ToolUseBlock: "tool_use", br.ReasoningBlock: "reasoning"}
    assert [kinds[type(b)] for b in result.content] == blocks
    # Nothing is dropped: every text that came is in some block.
    for event in events:
        if isinstance(event, br.ContentBlockDelta) and isinstance(event.delta, br.TextDelta):
            assert event.delta.text in result.text


def test_a_sound_stream_reassembles_complete() -> None:
    events = [br.MessageStart(role="assistant"), _delta(0, br.TextDelta(text="a")),
              br.ContentBlockStop(content_block_index=0), _tool_start(1),
              _delta(1, br.ToolUseDelta(input="{}")), br.ContentBlockStop(content_block_index=1),
              *_END]  # fmt: skip
    result = br.reassemble(events)
    assert result.complete and result.errors == ()
    assert result.text == "a" and result.tool_uses[0].input == {}


# --- convenient where users trip ------------------------------------------------------------------


def test_events_take_one_bytes_buffer() -> None:
    data = _converse()
    for buffer in (data, bytearray(data), memoryview(data)):
        assert list(br.events(buffer, "converse")) == list(br.events([data], "converse"))


def test_a_wrong_stream_name_warns() -> None:
    with pytest.warns(br.StreamMismatchWarning, match="stream='converse' meant"):
        got = list(br.events(_converse(), "invoke"))
    assert all(isinstance(e, br.UnknownEvent) for e in got)
    chunk = br.encode_event(br.Chunk(bytes=b"{}")).encode()
    with pytest.warns(br.StreamMismatchWarning, match="stream='invoke' meant"):
        list(br.events(chunk, "converse"))


def test_padding_is_random_by_default_and_reproducible_on_request() -> None:
    event = br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="x"))
    lengths = {len(br.encode_event(event).payload) for _ in range(200)}
    assert len(lengths) > 10  # random lengths: the side channel stays closed
    one = [br.encode_event(event, rng=random.Random(7)).encode() for _ in range(3)]
    assert one[0] == one[1] == one[2]
    stream = [
        br.encode_event(event, rng=rng).encode() for rng in [random.Random(7)] for _ in range(20)
    ]
    again = [
        br.encode_event(event, rng=rng).encode() for rng in [random.Random(7)] for _ in range(20)
    ]
    assert stream == again and len(set(stream)) > 5


def test_the_generated_init_builds_what_the_dataclass_init_builds() -> None:
    event = br.ContentBlockDelta(content_block_index=2, delta=br.TextDelta(text="x"))
    assert (event.padding, dict(event.extra)) == (None, {})
    assert type(event.extra) is MappingProxyType
    given = {"k": [1]}
    start = br.ToolUseStart(tool_use_id="t", name="f", type="server", extra=given)
    given["k2"] = 2  # a copy was kept: the event stays as it was made
    assert start.type == "server" and dict(start.extra) == {"k": [1]}
    with pytest.raises(TypeError):
        br.ToolUseStart(tool_use_id="t")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        br.TextDelta("positional")  # type: ignore[misc]
    with pytest.raises(AttributeError):
        start.name = "g"  # type: ignore[misc]
    # Every decoded event equals the same event built through __init__.
    for event in br.events(_converse(), "converse"):
        fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
        assert type(event)(**fields) == event
