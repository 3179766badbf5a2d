"""The service layers (bedrock.agent, sagemaker, awslambda) as the house rules ask of a typed
layer: aevents as events, exceptions raised after the events before them, one error root
whatever the bytes, iterators that fail closed, strict mode, and readers that refuse what they
do not know."""

from __future__ import annotations

import asyncio
import copy
import pickle
import random
from collections.abc import AsyncIterator

import pytest

import eventstream as es
from eventstream import awslambda, sagemaker
from eventstream import bedrock as br
from eventstream.bedrock import agent, nova_sonic


def _frame(event_type: str, payload: bytes, kind: str = "event") -> bytes:
    name = ":event-type" if kind == "event" else ":exception-type"
    headers = {name: event_type, ":content-type": "application/json", ":message-type": kind}
    return es.Message(headers, payload).encode()


AGENT_BODY = (
    _frame("trace", b'{"agentId":"A","trace":{"guardrailTrace":{"action":"NONE"}}}')
    + _frame("chunk", b'{"bytes":"aGk="}')
    + _frame("internalServerException", b'{"message":"oops","reason":"x"}', "exception")
)


async def _pieces(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        await asyncio.sleep(0)
        yield data[start : start + size]


def test_aevents_gives_what_events_gives() -> None:
    async def collect() -> list[object]:
        return [
            e async for e in agent.aevents(_pieces(AGENT_BODY), "agent", raise_exceptions=False)
        ]

    typed = asyncio.run(collect())
    assert typed == list(agent.events(AGENT_BODY, "agent", raise_exceptions=False))
    assert isinstance(typed[2], agent.InternalServerException) and typed[2].reason == "x"
    assert (typed[2].status_code, typed[2].retryable) == (500, True)


def test_an_exception_is_raised_after_the_events_before_it() -> None:
    iterator = agent.events(AGENT_BODY, "agent")
    seen = [next(iterator), next(iterator)]
    assert [type(e) for e in seen] == [agent.TracePart, agent.PayloadPart]
    with pytest.raises(agent.InternalServerException):
        next(iterator)
    with pytest.raises(es.DecoderStateError):  # a failed iterator stays failed
        next(iterator)


def test_a_cut_stream_fails_closed() -> None:
    data = sagemaker.encode_event(sagemaker.PayloadPart(bytes=b"x" * 50)).encode()
    with pytest.raises(es.TruncatedError):
        list(sagemaker.events(data + data[:30], "sagemaker"))

    async def collect() -> None:
        async for _ in awslambda.aevents(_pieces(data[:-1]), "lambda"):
            pass

    with pytest.raises(es.TruncatedError):
        asyncio.run(collect())


def test_strict_refuses_what_the_union_does_not_have() -> None:
    frame = es.decode(_frame("newEvent", b"{}"))
    assert isinstance(agent.decode_event(frame, "flow"), br.UnknownEvent)
    with pytest.raises(br.UnexpectedEventError):
        agent.decode_event(frame, "flow", strict=True)
    weird = es.decode(_frame("newException", b"{}", "exception"))
    with pytest.raises(br.UnexpectedEventError):
        sagemaker.decode_event(weird, "sagemaker", strict=True)
    untyped = es.Message({":event-type": "chunk"}, b"{}")
    assert isinstance(agent.decode_event(untyped, "agent"), br.UnknownEvent)
    with pytest.raises(br.UnexpectedEventError):
        agent.decode_event(untyped, "agent", strict=True)
    error = es.Message({":message-type": "error", ":error-code": "E", ":error-message": "m"})
    decoded = awslambda.decode_event(error, "lambda")
    assert isinstance(decoded, br.ErrorFrame) and awslambda.encode_event(decoded) == error


def test_payloads_that_do_not_fit_say_where() -> None:
    bad = es.decode(_frame("flowOutputEvent", b'{"nodeName":"n","nodeType":"t","content":7}'))
    with pytest.raises(br.BedrockPayloadError, match="content"):
        agent.decode_event(bad, "flow")
    with pytest.raises(br.BedrockPayloadError, match="not JSON"):
        agent.decode_event(es.decode(_frame("chunk", b"{nope")), "agent")


def test_unknown_stream_names_are_refused() -> None:
    for layer in (agent, sagemaker, awslambda):
        with pytest.raises(es.ConfigurationError, match="choose one of"):
            layer.EventReader("converse")
        with pytest.raises(es.ConfigurationError):
            list(layer.events(b"", ["unhashable"]))  # type: ignore[arg-type]


def test_encode_refuses_what_is_not_an_event() -> None:
    with pytest.raises(es.EncodeError):
        sagemaker.encode_event(sagemaker.PayloadPart(bytes=None))
    with pytest.raises(es.EncodeError):
        agent.encode_event("chunk")  # type: ignore[arg-type]


def _mutations(data: bytes, rng: random.Random) -> bytes:
    """``data`` with a few bytes changed inside the payloads, the CRCs made to match again,
    so the frames stay sound and the typed layer sees the damage."""
    out = bytearray()
    for message in es.Decoder().feed(data):
        payload = bytearray(message.payload)
        for _ in range(rng.randint(1, 3)):
            if payload:
                payload[rng.randrange(len(payload))] = rng.choice(b'{}[]":,0a\\\x00\xff')
        out += es.Message(message.headers, bytes(payload)).encode()
    return bytes(out)


@pytest.mark.parametrize("layer", [agent, sagemaker, awslambda], ids=lambda m: m.__name__)
def test_whatever_the_payloads_only_eventstream_errors_escape(layer: object) -> None:
    rng = random.Random(f"hostile/{layer}")
    bodies = {
        agent: AGENT_BODY
        + _frame(
            "returnControl",
            b'{"invocationInputs":[{"apiInvocationInput":'
            b'{"actionGroup":"g","parameters":[{"name":"a"}]}}]}',
        ),
        sagemaker: _frame("PayloadPart", b"xyz")
        + _frame("ModelStreamError", b'{"Message":"m","ErrorCode":"c"}', "exception"),
        awslambda: _frame("InvokeComplete", b'{"ErrorCode":"e","LogResult":"bG9n"}'),
    }
    data = bodies[layer]  # type: ignore[index]
    for _ in range(300):
        damaged = _mutations(data, rng)
        try:
            for event in layer.events(damaged, "auto", raise_exceptions=False):  # type: ignore[attr-defined]
                layer.encode_event(event)  # type: ignore[attr-defined]
        except es.EventStreamError:
            pass


def test_nova_sonic_refuses_hostile_chunks_with_its_error_only() -> None:
    rng = random.Random("nova")
    good = nova_sonic.encode(
        nova_sonic.AudioInput(prompt_name="p", content_name="c", content=b"\x01\x02" * 20)
    )
    for _ in range(500):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.choice(b'{}[]":,0a\\\x00\xff')
        for decode in (nova_sonic.decode_input, nova_sonic.decode_output):
            try:
                event = decode(bytes(data))
            except nova_sonic.NovaSonicError:
                continue
            nova_sonic.encode(event)


def test_events_and_exceptions_pickle_and_copy() -> None:
    body = _frame("trace", b'{"agentId":"A","new":[1],"trace":{"futureTrace":{"x":1}}}')
    (event,) = agent.events(body, "agent")
    error = sagemaker.decode_event(
        es.decode(_frame("ModelStreamError", b'{"ErrorCode":"c","Message":"m"}', "exception"))
    )
    part = sagemaker.PayloadPart(bytes=b"\x00")
    for value in (event, error, part):
        again = pickle.loads(pickle.dumps(value))
        assert again == value == copy.deepcopy(value)
    assert agent.encode_event(pickle.loads(pickle.dumps(event))).encode() == body


def test_bedrock_runtimes_readers_stay_bedrock_runtimes() -> None:
    frame = es.decode(br.encode_event(br.MessageStart(role="assistant")).encode())
    reader = br.EventReader("auto")
    reader.read(frame)
    assert type(reader) is br.EventReader and reader.stream == "converse"
    named = br.EventReader("sagemaker")
    assert type(named) is not br.EventReader and named.stream == "sagemaker"
