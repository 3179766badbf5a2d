"""The fault grammar and the sans-IO plans, without a socket: every fault's bytes checked by
botocore's own event-stream parser and by ours, and the grammar's errors naming their part."""

from __future__ import annotations

import json
import random
import re
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eventstream as es
from eventstream import bedrock as br
from eventstream import mock
from eventstream.mock import _faults
from tests.markdown import table_after

botocore_eventstream = pytest.importorskip("botocore.eventstream")

DOC = Path(__file__).resolve().parent.parent / "docs" / "testing.md"

EVENTS: list[br.TypedEvent] = [
    br.MessageStart(role="assistant"),
    br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="Hel")),
    br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="lo")),
    br.ContentBlockStop(content_block_index=0),
    br.MessageStop(stop_reason="end_turn"),
    br.Metadata(
        usage=br.Usage(input_tokens=1, output_tokens=2, total_tokens=3),
        metrics=br.Metrics(latency_ms=5),
    ),
]
FRAMES = [br.encode_event(event, padding=False) for event in EVENTS]
WIRE = [frame.encode() for frame in FRAMES]


def plan(
    spec: str, stream: br.StreamName = "converse", frames: list[es.Message] = FRAMES
) -> mock.Plan:
    return mock.plan_stream(
        frames, [0.0] * len(frames), stream, mock.parse_faults(spec), rng=random.Random(0)
    )


def botocore_read(body: bytes) -> tuple[list[dict[str, object]], Exception | None]:
    """What botocore's EventStreamBuffer makes of ``body``: the messages, then its error."""
    buffer = botocore_eventstream.EventStreamBuffer()
    buffer.add_data(body)
    messages: list[dict[str, object]] = []
    try:
        for message in buffer:
            messages.append(message.to_response_dict())
    except Exception as exc:  # botocore's own classes: ChecksumMismatch, ...
        return messages, exc
    return messages, None


# --- the grammar ----------------------------------------------------------------------------

GOOD = [
    ("exception=throttlingException@3", mock.Fault("exception", "throttlingException", 3)),
    ("exception=ThrottlingException", mock.Fault("exception", "ThrottlingException")),
    (
        "exception=modelStreamErrorException@1,original-status=529,original-message=Over%2Cloaded",
        mock.Fault(
            "exception",
            "modelStreamErrorException",
            1,
            None,
            {"original-status": "529", "original-message": "Over,loaded"},
        ),
    ),
    ("error-frame@2,code=Boom", mock.Fault("error-frame", "", 2, None, {"code": "Boom"})),
    ("http=429", mock.Fault("http", "429")),
    ("http=503,type=", mock.Fault("http", "503", options={"type": ""})),
    ("body=sse", mock.Fault("body", "sse")),
    ("cut@2:10", mock.Fault("cut", "", 2, 10)),
    ("cut@0:1", mock.Fault("cut", "", 0, 1)),
    ("disconnect@4", mock.Fault("disconnect", "", 4)),
    ("corrupt=length@1,by=-3", mock.Fault("corrupt", "length", 1, None, {"by": "-3"})),
    (
        "fragment=random,seed=7,max=5",
        mock.Fault("fragment", "random", 0, None, {"seed": "7", "max": "5"}),
    ),
    ("stall=0.25@3", mock.Fault("stall", "0.25", 3)),
    ("stall=forever", mock.Fault("stall", "forever")),
    ("unknown-event@1,name=future", mock.Fault("unknown-event", "", 1, None, {"name": "future"})),
    ("violation=missing-stop", mock.Fault("violation", "missing-stop")),
]


@pytest.mark.parametrize(("spec", "fault"), GOOD, ids=[spec for spec, _ in GOOD])
def test_a_spec_reads_as_its_fault_and_back(spec: str, fault: mock.Fault) -> None:
    assert mock.parse_faults(spec) == (fault,)
    assert mock.parse_faults(str(fault)) == (fault,)  # str() is a spec that reads back
    assert mock.parse_faults(f"  {spec} ; ") == (fault,)  # white space and empty parts


def test_several_faults_and_none() -> None:
    assert mock.parse_faults("") == ()
    faults = mock.parse_faults("fragment=bytes;stall=1@2;exception=throttlingException@4")
    assert [f.kind for f in faults] == ["fragment", "stall", "exception"]
    assert mock.format_faults(faults) == "fragment=bytes;stall=1@2;exception=throttlingException@4"


BAD = [
    ("explode", "unknown fault 'explode'"),
    ("exception=nope@1", "unknown exception type 'nope'"),
    ("exception=throttlingException@x", "frame count 'x' must be a whole number"),
    ("cut@2", "needs '@FRAME:BYTES'"),
    ("cut@2:y", "byte count 'y'"),
    ("cut@2:0", "no cut inside a frame"),
    ("disconnect@1:3", "takes no ':3'"),
    ("disconnect=now", "takes no '=now'"),
    ("corrupt=everything@1", "choose one of prelude-crc, message-crc, length"),
    ("corrupt=prelude-crc,by=2", "'by' is for corrupt=length"),
    ("corrupt=length,by=0", "'by=0' would change nothing"),
    ("stall=-1", "must be seconds >= 0 or 'forever'"),
    ("stall=soon", "must be seconds >= 0 or 'forever'"),
    ("stall=nan", "must be seconds >= 0 or 'forever'"),
    ("http=200", "must be a status from 300 to 599"),
    ("http=429,type=Nope", "unknown exception type 'Nope'"),
    ("fragment=bytes,max=3", "'max' is for fragment=random"),
    ("fragment=random,seed=-1", "'seed=-1' must be a whole number"),
    ("exception=throttlingException,original-status=529", "'original-status' belongs to"),
    ("exception=throttlingException,color=red", "unknown option 'color'"),
    ("stall=1,x", "option 'x' must be KEY=VALUE"),
    ("error-frame,code=a,code=b", "option 'code' given twice"),
    ("unknown-event,name=messageStart", "must be a name no union has"),
    ("violation=chaos", "choose one of duplicate-start"),
    ("cut@1:2;disconnect@3", "both end the stream"),
    ("http=429;stall=1", "replaces the whole response"),
    ("fragment=bytes;fragment=random", "give one 'fragment'"),
]


@pytest.mark.parametrize(("spec", "says"), BAD, ids=[spec for spec, _ in BAD])
def test_a_bad_spec_names_its_part(spec: str, says: str) -> None:
    with pytest.raises(mock.FaultSpecError) as info:
        mock.parse_faults(spec)
    assert says in str(info.value)
    assert isinstance(info.value, es.EventStreamError) and isinstance(info.value, ValueError)
    part = spec.split(";")[0].split(",")[0].split("@")[0]
    assert part.split("=")[0] in str(info.value)  # the fault it is about is named


def test_faults_built_in_python_are_checked_too() -> None:
    with pytest.raises(mock.FaultSpecError, match="whole number of frames"):
        mock.Fault("disconnect", at=-1)
    with pytest.raises(mock.FaultSpecError, match="unknown fault"):
        mock.Fault("nope")  # type: ignore[arg-type]
    with pytest.raises(mock.FaultSpecError, match="both end the stream"):
        mock.as_faults([mock.Fault("disconnect", at=1), mock.Fault("cut", at=1, byte=2)])
    with pytest.raises(mock.FaultSpecError, match="is not a Fault"):
        mock.as_faults(["cut@1:2"])  # type: ignore[list-item]


def test_the_kind_table_of_the_page_is_the_code() -> None:
    rows = table_after(DOC.read_text(), "<!-- fault kinds: tests/test_mock_faults.py")
    kinds = []
    for form, _, options in rows:
        names = {re.match(r"`([a-z-]+)", part.strip())[1] for part in form.split(",")}  # type: ignore[index]
        (kind,) = names
        kinds.append(kind)
        documented = set(re.findall(r"`([a-z-]+)`", options))
        assert documented == set(_faults._OPTIONS[kind]), kind
        values = _faults._VALUES[kind]
        if values:
            assert set(re.findall(rf"`{kind}=([a-z-]+)", form)) == set(values), kind
    assert kinds == list(mock.FAULT_KINDS)


# --- the plans, read by botocore and by eventstream -----------------------------------------


def test_no_fault_is_the_stream_as_it_came() -> None:
    p = plan("")
    assert p.status == 200 and p.chunked and p.frames == len(WIRE)
    assert [op.data for op in p.ops if isinstance(op, mock.Send)] == WIRE
    assert dict(p.headers)["Content-Type"] == br.EVENTSTREAM_CONTENT_TYPE


@pytest.mark.parametrize("at", [0, 3, 6, 99])
def test_exception_after_n_events(at: int) -> None:
    p = plan(
        f"exception=modelStreamErrorException@{at},original-status=529,original-message=Overloaded"
    )
    kept = min(at, len(WIRE))
    messages, error = botocore_read(p.body)
    assert error is None and len(messages) == kept + 1
    last = messages[-1]
    assert last["headers"][":exception-type"] == "modelStreamErrorException"  # type: ignore[index]
    assert json.loads(last["body"]) == {  # type: ignore[arg-type]
        "message": "ModelStreamErrorException injected by eventstream.mock",
        "originalStatusCode": 529,
        "originalMessage": "Overloaded",
    }
    events = list(br.events(p.body, "converse", raise_exceptions=False))
    assert events[:kept] == EVENTS[:kept]
    assert events[-1] == br.ModelStreamErrorException(
        "ModelStreamErrorException injected by eventstream.mock",
        original_status_code=529,
        original_message="Overloaded",
    )
    assert p.injected == ({"fault": str(mock.parse_faults(
        f"exception=modelStreamErrorException@{at},original-status=529,original-message=Overloaded"
    )[0]), "kind": "exception", "applied": True, "frame": kept},)  # fmt: skip


@pytest.mark.parametrize("code", sorted(br.HTTP_ERRORS))
def test_an_exception_frame_of_every_bedrock_type(code: str) -> None:
    p = plan(f"exception={code}@1,message=no")
    (_, frame), error = botocore_read(p.body)
    assert error is None
    assert frame["headers"] == {  # type: ignore[comparison-overlap]
        ":exception-type": br.HTTP_ERRORS[code].exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }


def test_an_error_frame() -> None:
    p = plan("error-frame@2,code=ThrottledAgain,message=slow%20down")
    messages, _ = botocore_read(p.body)
    assert messages[-1]["headers"] == {
        ":message-type": "error",
        ":error-code": "ThrottledAgain",
        ":error-message": "slow down",
    }
    *_, event = br.events(p.body, "converse", raise_exceptions=False)
    assert event == br.ErrorFrame("slow down", error_code="ThrottledAgain")


@pytest.mark.parametrize(
    ("spec", "status", "error_type"),
    [
        ("http=429", 429, "ThrottlingException"),
        ("http=500", 500, "InternalServerException"),
        ("http=418", 418, "ValidationException"),
        ("http=503,type=ThrottlingException", 503, "ThrottlingException"),
        ("http=503,type=", 503, None),
    ],
)
def test_http_errors_before_the_stream(spec: str, status: int, error_type: str | None) -> None:
    p = plan(spec)
    headers = dict(p.headers)
    assert (p.status, headers.get("x-amzn-ErrorType"), p.chunked) == (status, error_type, False)
    body = json.loads(p.body)
    assert set(body) == {"message"}
    error = br.error_from_response(p.status, headers, p.body)
    assert error.message == body["message"]


def test_an_http_error_with_its_own_body() -> None:
    p = plan("http=502,type=,body=<html>Bad Gateway</html>")
    assert p.body == b"<html>Bad Gateway</html>"
    assert dict(p.headers)["Content-Type"] == "text/html"


@pytest.mark.parametrize("kind", ["json", "html", "sse"])
def test_bodies_that_are_not_event_streams(kind: str) -> None:
    p = plan(f"body={kind}")
    assert dict(p.headers)["Content-Type"] == br.EVENTSTREAM_CONTENT_TYPE and not p.chunked
    _, error = botocore_read(p.body)
    assert type(error).__name__ == "ChecksumMismatch"
    with pytest.raises(es.PreludeChecksumError):
        es.decode(p.body)
    if kind == "sse":
        # Anthropic's SSE as its API sends it: named events, each data line one JSON object.
        blocks = p.body.decode().split("\n\n")
        assert blocks[-1] == ""
        for block in blocks[:-1]:
            event, data = block.split("\n")
            assert json.loads(data.removeprefix("data: "))["type"] == event.removeprefix("event: ")


@pytest.mark.parametrize(("at", "byte"), [(0, 1), (2, 10), (5, 1), (2, 10_000)])
def test_a_cut_inside_frame_n(at: int, byte: int) -> None:
    p = plan(f"cut@{at}:{byte}")
    kept = min(byte, len(WIRE[at]) - 1)
    assert p.body == b"".join(WIRE[:at]) + WIRE[at][:kept]
    assert p.frames == at and not any(isinstance(op, mock.Drop) for op in p.ops)
    # botocore keeps the partial frame to itself and ends as if complete.
    messages, error = botocore_read(p.body)
    assert (len(messages), error) == (at, None)
    with pytest.raises(es.TruncatedError) as info:
        list(br.events(p.body, "converse"))
    assert info.value.frame_index == at


def test_a_cut_past_the_end_is_journaled_as_not_applied() -> None:
    p = plan("cut@6:3")
    assert p.body == b"".join(WIRE)
    assert p.injected[0]["applied"] is False and "6 frames" in p.injected[0]["reason"]


@pytest.mark.parametrize("at", [0, 2, 6, 50])
def test_a_disconnect_at_a_frame_boundary(at: int) -> None:
    p = plan(f"disconnect@{at}")
    kept = min(at, len(WIRE))
    assert p.body == b"".join(WIRE[:kept])
    assert isinstance(p.ops[-1], mock.Drop)


@pytest.mark.parametrize(
    ("target", "ours"),
    [
        ("prelude-crc", es.PreludeChecksumError),
        ("message-crc", es.MessageChecksumError),
        ("length", es.MessageChecksumError),
    ],
)
@pytest.mark.parametrize("at", [0, 3])
def test_corrupt_frame_n(target: str, ours: type[Exception], at: int) -> None:
    p = plan(f"corrupt={target}@{at}")
    wire = bytearray(p.body)
    start = sum(len(w) for w in WIRE[:at])
    frame = wire[start : start + len(WIRE[at])]
    assert wire[:start] == b"".join(WIRE[:at])
    if target == "length":
        declared = int.from_bytes(frame[:4], "big")
        assert declared == len(WIRE[at]) + 1
        assert zlib.crc32(bytes(frame[:8])) == int.from_bytes(frame[8:12], "big")
    messages, error = botocore_read(p.body)
    assert len(messages) == at and type(error).__name__ == "ChecksumMismatch"
    with pytest.raises(ours) as info:
        list(br.events(p.body, "converse"))
    assert info.value.frame_index == at  # type: ignore[attr-defined]


def test_a_length_corrupted_the_other_way() -> None:
    p = plan("corrupt=length@5,by=5000")
    with pytest.raises(es.TruncatedError):
        list(br.events(p.body, "converse"))


def test_one_byte_writes() -> None:
    p = plan("fragment=bytes")
    sends = [op for op in p.ops if isinstance(op, mock.Send)]
    assert all(len(op.data) == 1 for op in sends)
    assert p.body == b"".join(WIRE) and len(sends) == len(p.body)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), largest=st.integers(1, 200))
def test_random_splits_keep_every_byte_and_repeat_by_seed(seed: int, largest: int) -> None:
    spec = f"fragment=random,seed={seed},max={largest}"
    first, again = plan(spec), plan(spec)
    sizes = [len(op.data) for op in first.ops if isinstance(op, mock.Send)]
    assert first.body == b"".join(WIRE) and max(sizes) <= largest
    assert first.ops == again.ops  # the seed decides the splits


def test_stalls_go_where_they_are_asked() -> None:
    p = plan("stall=0.5@2;stall=forever@6")
    kinds = [type(op).__name__ for op in p.ops]
    assert kinds == ["Send", "Send", "Stall", "Send", "Send", "Send", "Send", "Stall"]
    assert [op.seconds for op in p.ops if isinstance(op, mock.Stall)] == [0.5, None]


def test_fragments_keep_the_delays_and_the_stalls() -> None:
    p = mock.plan_stream(
        FRAMES[:2], [0.25, 0.5], "converse", mock.parse_faults("fragment=bytes;stall=1@1")
    )
    delays = [op.delay for op in p.ops if isinstance(op, mock.Send) and op.delay]
    assert delays == [0.25, 0.5]
    assert sum(isinstance(op, mock.Stall) for op in p.ops) == 1


def test_an_unknown_event_type() -> None:
    p = plan("unknown-event@2,name=futureThing")
    messages, error = botocore_read(p.body)
    assert error is None and messages[2]["headers"][":event-type"] == "futureThing"  # type: ignore[index]
    events = list(br.events(p.body, "converse"))
    assert isinstance(events[2], br.UnknownEvent) and events[2].event_type == "futureThing"
    assert [e for e in events if not isinstance(e, br.UnknownEvent)] == EVENTS


def _names(body: bytes) -> list[str]:
    return [str(m.headers[":event-type"]) for m in es.Decoder().feed(body)]


def test_the_protocol_violations_on_converse() -> None:
    names = [e.event_type for e in EVENTS]
    assert _names(plan("violation=duplicate-start").body) == [names[0], *names]
    assert _names(plan("violation=missing-stop").body) == [n for n in names if n != "messageStop"]
    moved = _names(plan("violation=delta-before-start").body)
    assert moved == ["contentBlockDelta", "messageStart", *names[2:]]


def _anthropic_types(body: bytes) -> list[str]:
    return [json.loads(e.bytes)["type"] for e in br.events(body, "invoke")]  # type: ignore[union-attr, arg-type]


def test_the_protocol_violations_on_invoke() -> None:
    script = mock.Script(text="Hello there", delta_size=4)
    frames = script.messages("invoke", mock.Timing(), random.Random(0))
    types = _anthropic_types(b"".join(f.encode() for f in frames))
    assert types[0] == "message_start" and types[-1] == "message_stop"
    duplicated = _anthropic_types(plan("violation=duplicate-start", "invoke", frames).body)
    assert duplicated == [types[0], *types]
    missing = _anthropic_types(plan("violation=missing-stop", "invoke", frames).body)
    assert missing == types[:-1]
    moved = _anthropic_types(plan("violation=delta-before-start", "invoke", frames).body)
    assert moved[:2] == ["content_block_delta", "message_start"]


def test_a_violation_with_nothing_to_violate_is_not_applied() -> None:
    p = plan("violation=missing-stop", frames=FRAMES[:2])
    assert p.injected[0]["applied"] is False
    assert p.body == b"".join(WIRE[:2])


def test_faults_combine() -> None:
    p = plan("fragment=bytes;unknown-event@1;corrupt=message-crc@4;exception=throttlingException@5")
    names = [n["kind"] for n in p.injected]
    assert names == ["unknown-event", "exception", "corrupt", "fragment"]
    pieces = [op.data for op in p.ops if isinstance(op, mock.Send)]
    assert len(pieces) == len(p.ops) == len(p.body)
    with pytest.raises(es.MessageChecksumError) as info:
        list(br.events(iter(pieces), "converse"))
    assert info.value.frame_index == 4


def test_a_non_streaming_reply_takes_the_faults_that_apply() -> None:
    faults = mock.parse_faults("stall=0.1;fragment=bytes")
    p = mock.plan_reply(b'{"a":1}', faults)
    assert isinstance(p.ops[0], mock.Stall) and p.body == b'{"a":1}'
    assert all(n["applied"] for n in p.injected)
    cut = mock.plan_reply(b'{"a":1}', mock.parse_faults("cut@1:1"))
    assert cut.body == b'{"a":1}' and cut.injected[0]["applied"] is False
    dropped = mock.plan_reply(b"{}", mock.parse_faults("disconnect"))
    assert dropped.ops == (mock.Drop(),)
    error = mock.plan_reply(b"{}", mock.parse_faults("http=429"))
    assert error.status == 429


# --- whatever the input, our errors only ----------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="=@:,;%abcdeilmnoprstuvxy0123456789-. ", max_size=40))
def test_any_spec_parses_or_raises_fault_spec_error(spec: str) -> None:
    try:
        faults = mock.parse_faults(spec)
    except mock.FaultSpecError as exc:
        assert str(exc)
    else:
        assert mock.parse_faults(mock.format_faults(faults)) == faults


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=300)
    | st.builds(lambda b: b"POST / HTTP/1.1\r\n" + b, st.binary(max_size=200))
)
def test_any_head_parses_or_raises_bad_request(head: bytes) -> None:
    try:
        request = mock.parse_head(head)
    except mock.BadRequest as exc:
        assert 400 <= exc.status < 600 and str(exc)
    else:
        assert request.method.isupper() and request.content_length >= 0


_ONE_FAULT = st.sampled_from(
    [f for spec, f in GOOD if f.kind not in ("http", "body")]
    + [mock.Fault("corrupt", "prelude-crc", 2), mock.Fault("violation", "duplicate-start")]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_ONE_FAULT, max_size=4), st.integers(0, 2**16))
def test_any_combination_of_faults_plans(faults: list[mock.Fault], seed: int) -> None:
    try:
        chosen = mock.as_faults(faults)
    except mock.FaultSpecError:
        return  # two that end the stream, or two fragmentations: refused, as documented
    p = mock.plan_stream(FRAMES, [0.0] * len(FRAMES), "converse", chosen, rng=random.Random(seed))
    assert len(p.injected) == len(chosen)
    changes = {
        "exception",
        "error-frame",
        "cut",
        "disconnect",
        "corrupt",
        "violation",
        "unknown-event",
    }
    if not {f.kind for f in chosen} & changes:
        assert p.body == b"".join(WIRE)  # stalls and fragments change the timing only
    try:
        events = list(br.events(p.body, "converse", raise_exceptions=False))
    except es.EventStreamError as exc:
        assert {f.kind for f in chosen} & {"corrupt", "cut"}, exc
    else:
        assert len(events) >= 1 or any(f.kind in ("cut", "disconnect") for f in chosen)
