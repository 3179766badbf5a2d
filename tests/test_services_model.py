"""The typed layers of bedrock-agent-runtime, sagemaker-runtime and lambda against botocore's
own service models, member by member (as tests/test_bedrock_model.py does for Bedrock
Runtime, whose instance generator and comparisons this reuses).

Instances of every member of every event-stream union are generated from the installed
models (seeded), framed as the services send them, and read by botocore's ``EventStream``
with ``EventStreamJSONParser`` (what boto3 runs) and by our layers: the same information;
our re-encoding byte for byte when the input was in our (compact, sorted) form, and read the
same by botocore always. A copy of each model with members, fields, an event and an exception
added stands for a future service: what we do not model arrives as ``Unknown*`` or in
``extra`` and goes back intact.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import functools
import json
import random
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

import pytest

import eventstream as es
from eventstream import awslambda, sagemaker
from eventstream import bedrock as br
from eventstream.bedrock import agent
from eventstream.bedrock._wire import _converter, _plan
from eventstream.bedrock.engine import ServiceEvent, ServiceException, Struct, UnionMember

from .test_bedrock_model import (
    ALPHABET,
    Generator,
    _as_botocore,
    _botocore_error,
    _botocore_reads,
    _exception_frame,
    _is_document,
    _reachable,
    _same,
    _wire_key,
    botocore_awsrequest,
    botocore_model,
    botocore_standard,
    botocore_utils,
)

botocore_session = pytest.importorskip("botocore.session")

LAYERS: dict[str, ModuleType] = {
    "bedrock-agent-runtime": agent,
    "sagemaker-runtime": sagemaker,
    "lambda": awslambda,
}
MODELS = {name: botocore_session.get_session().get_service_model(name) for name in LAYERS}
EVENTS_PER_MEMBER = 60
EXCEPTIONS_PER_MEMBER = 30

Shape = Any
JSON = Any


class ServiceGenerator(Generator):
    """Bedrock's generator, with timestamps in the form these services send (ISO 8601 text,
    as ``timestampFormat`` says); ``budget`` bounds the nodes of an instance."""

    def __init__(self, model: Any, seed: str, budget: int = 160) -> None:
        super().__init__(model, seed)
        self.nodes = budget

    def instance(self, shape: Shape) -> JSON:
        self.budget = self.nodes
        return self.value(shape, 0)

    def value(self, shape: Shape, depth: int) -> JSON:
        if shape.type_name == "timestamp":
            moment = datetime.datetime.fromtimestamp(self.rng.randint(0, 2**32), datetime.UTC)
            return moment.strftime("%Y-%m-%dT%H:%M:%S") + self.rng.choice(["Z", ".125Z"])
        return super().value(shape, depth)


def _union(service: str, stream: str) -> Shape:
    layer = LAYERS[service]
    union = layer.STREAMS[stream]
    output = MODELS[service].operation_model(union.operation).output_shape
    (member,) = [m for m in output.members.values() if m.serialization.get("eventstream")]
    return member


def _cases(*, exceptions: bool) -> list[tuple[str, str, str]]:
    return [
        (service, stream, member)
        for service, layer in LAYERS.items()
        for stream in layer.STREAMS
        for member, shape in _union(service, stream).members.items()
        if bool(shape.metadata.get("exception")) == exceptions
    ]


EVENT_CASES = _cases(exceptions=False)
EXCEPTION_CASES = _cases(exceptions=True)


def _ids(case: tuple[str, ...]) -> str:
    return "-".join(case[1:])


def _payload_member(shape: Shape) -> str | None:
    return next((m for m, s in shape.members.items() if s.serialization.get("eventpayload")), None)


def _payload(rng: random.Random, body: dict[str, JSON], *, pad: bool) -> tuple[bytes, bool]:
    """Payload bytes, and whether they are in our form (compact, sorted, UTF-8)."""
    body = dict(body)
    if pad and rng.random() < 0.3:
        body["p"] = ALPHABET[: rng.randint(1, len(ALPHABET))]
    canonical = rng.random() < 0.6
    options: dict[str, Any] = (
        {"sort_keys": True, "separators": (",", ":")} if canonical else {"indent": 1}
    )
    try:
        return json.dumps(body, ensure_ascii=not canonical, **options).encode(), canonical
    except UnicodeEncodeError:  # a lone surrogate: escaped, as we write it
        return json.dumps(body, ensure_ascii=True, **options).encode(), canonical


def _frames(
    generator: Generator, member: str, shape: Shape, count: int
) -> list[tuple[bytes, bool]]:
    out = []
    payload_member = _payload_member(shape)
    for _ in range(count):
        if payload_member is not None:
            generator.covered.add((shape.name, payload_member))
            data = generator.rng.randbytes(generator.rng.randint(0, 40))
            headers = [(":event-type", member), (":content-type", "application/octet-stream"),
                       (":message-type", "event")]  # fmt: skip
            out.append((es.Message(headers, data).encode(), True))
            continue
        payload, exact = _payload(generator.rng, generator.instance(shape), pad=True)
        headers = [(":event-type", member), (":content-type", "application/json"),
                   (":message-type", "event")]  # fmt: skip
        out.append((es.Message(headers, payload).encode(), exact))
    return out


@dataclasses.dataclass
class Sample:
    frames: list[bytes]
    canonical: list[bool]
    covered: set[tuple[str, str]]

    @property
    def data(self) -> bytes:
        return b"".join(self.frames)


@functools.cache
def _sample(service: str, stream: str, member: str) -> Sample:
    generator = ServiceGenerator(MODELS[service], f"{service}/{stream}/{member}")
    shape = _union(service, stream).members[member]
    pairs = _frames(generator, member, shape, EVENTS_PER_MEMBER)
    return Sample([f for f, _ in pairs], [c for _, c in pairs], generator.covered)


def _ours_as_botocore(union: Shape, event: ServiceEvent) -> dict[str, Any]:
    member = union.members[event.event_type]
    payload = _payload_member(member)
    if payload is not None:
        return {event.event_type: {payload: getattr(event, type(event).payload_field or "")}}
    wire = br.engine.to_wire(event)
    return {event.event_type: _as_botocore(member, wire)}


def _read(service: str, data: bytes, stream: str, **options: Any) -> list[Any]:
    return list(LAYERS[service].events(data, stream, **options))


def test_every_event_stream_of_the_models_is_a_stream_here() -> None:
    for service, layer in LAYERS.items():
        model = MODELS[service]
        found = set()
        for name in model.operation_names:
            operation = model.operation_model(name)
            for shape in (operation.input_shape, operation.output_shape):
                for member in shape.members.values() if shape is not None else ():
                    if member.serialization.get("eventstream"):
                        found.add((name, member.name, operation.http["requestUri"]))
        ours = {(s.operation, s.shape, s.http_path) for s in layer.STREAMS.values()}
        assert found == ours, service


@pytest.mark.parametrize("case", EVENT_CASES, ids=_ids)
def test_events_read_as_botocore_reads_them(case: tuple[str, str, str]) -> None:
    service, stream, member = case
    union = _union(service, stream)
    sample = _sample(*case)
    theirs = _botocore_reads(sample.data, union, union.name)
    ours = _read(service, sample.data, stream, strict=True)
    assert len(ours) == len(theirs) == EVENTS_PER_MEMBER
    for index, (event, parsed) in enumerate(zip(ours, theirs, strict=True)):
        assert isinstance(event, ServiceEvent) and event.event_type == member
        _same(_ours_as_botocore(union, event), parsed, f"[{index}] {sample.frames[index]!r}")


@pytest.mark.parametrize("case", EVENT_CASES, ids=_ids)
def test_events_reencode_to_what_botocore_reads_the_same(case: tuple[str, str, str]) -> None:
    service, stream, _ = case
    union = _union(service, stream)
    sample = _sample(*case)
    ours = _read(service, sample.data, stream, strict=True)
    again = [LAYERS[service].encode_event(event).encode() for event in ours]
    for index, (frame, exact) in enumerate(zip(sample.frames, sample.canonical, strict=True)):
        if exact:  # our own form comes back byte for byte
            assert again[index] == frame, f"[{index}]"
    _same(_botocore_reads(b"".join(again), union, union.name),
          _botocore_reads(sample.data, union, union.name))  # fmt: skip
    assert _read(service, b"".join(again), stream) == ours


def _check_typed(shape: Shape, value: Any, path: str, *, as_struct: bool = False) -> None:
    kind = shape.type_name
    if kind == "structure":
        if _is_document(shape):
            return
        if shape.is_tagged_union and not as_struct:
            assert isinstance(value, UnionMember), f"{path}: {shape.name} arrived as {value!r}"
            assert value.union_key in shape.members, f"{path}: {value!r} is not a member"
            member = shape.members[value.union_key]
            where = f"{path}.{value.union_key}"
            if value.wraps is not None:
                _check_typed(member, getattr(value, value.wraps), where)
            else:
                _check_typed(member, value, where, as_struct=True)
            return
        assert isinstance(value, Struct), f"{path}: {shape.name} arrived as {type(value)}"
        payload = _payload_member(shape)
        if payload is not None:  # the whole frame payload: bytes, nothing else
            assert isinstance(getattr(value, type(value).payload_field or ""), bytes), path
            return
        plan = {key: name for name, key, _, _, _ in _plan(type(value))}
        members = {_wire_key(m, s): m for m, s in shape.members.items()}
        assert set(plan) == set(members), (
            f"{path}: {type(value).__name__} does not declare {shape.name}'s members"
        )
        assert not value.extra, f"{path}: model members left in extra: {dict(value.extra)}"
        for key, member in members.items():
            item = getattr(value, plan[key])
            if item is not None:
                _check_typed(shape.members[member], item, f"{path}.{member}")
    elif kind == "list":
        assert isinstance(value, tuple), f"{path}: a list arrived as {type(value).__name__}"
        for index, item in enumerate(value):
            _check_typed(shape.member, item, f"{path}[{index}]")
    elif kind == "map":
        assert isinstance(value, Mapping), f"{path}: a map arrived as {type(value).__name__}"
        for key, item in value.items():
            _check_typed(shape.value, item, f"{path}[{key!r}]")
    else:
        expected: Any = {
            "string": str, "integer": int, "long": int, "boolean": bool, "blob": bytes,
            "double": (float, int), "float": (float, int), "timestamp": str,
        }[kind]  # fmt: skip
        assert isinstance(value, expected) and (kind == "boolean") == isinstance(value, bool), (
            f"{path}: {kind} arrived as {type(value).__name__}"
        )
        if kind == "timestamp":  # kept as the wire text, which botocore reads as a time
            botocore_utils.parse_timestamp(value)


@pytest.mark.parametrize("case", EVENT_CASES, ids=_ids)
def test_every_structure_arrives_typed(case: tuple[str, str, str]) -> None:
    service, stream, member = case
    shape = _union(service, stream).members[member]
    for index, event in enumerate(_read(service, _sample(*case).data, stream)):
        assert type(event).__name__ == shape.name
        _check_typed(shape, event, f"[{index}] {member}", as_struct=True)


def test_the_instances_cover_every_member_of_every_shape() -> None:
    for service in LAYERS:
        cases = [case for case in EVENT_CASES if case[0] == service]
        shapes = [_union(s, st).members[m].name for s, st, m in cases]
        covered = set().union(*(_sample(*case).covered for case in cases))
        assert _reachable(MODELS[service], shapes) - covered == set(), service


# --- exceptions ------------------------------------------------------------------------------


def _retries(model: Any, code: str, status: int) -> bool:
    context = botocore_standard.RetryContext(
        attempt_number=1,
        operation_model=model.operation_model(model.operation_names[0]),
        parsed_response={"Error": {"Code": code, "Message": ""},
                         "ResponseMetadata": {"HTTPStatusCode": status}},
        http_response=botocore_awsrequest.AWSResponse("https://aws", status, {}, None),
    )  # fmt: skip
    return bool(botocore_standard.StandardRetryConditions().is_retryable(context))


@pytest.mark.parametrize("case", EXCEPTION_CASES, ids=_ids)
def test_exceptions_decode_to_the_class_botocore_names(case: tuple[str, str, str]) -> None:
    service, stream, member = case
    layer = LAYERS[service]
    union = _union(service, stream)
    shape = union.members[member]
    error = shape.metadata.get("error")
    # sagemaker-runtime's stream errors carry no status in the model: a server fault, 500.
    status = error["httpStatusCode"] if error else 500
    generator = ServiceGenerator(MODELS[service], "/".join(case))
    for index in range(EXCEPTIONS_PER_MEMBER):
        body = generator.instance(shape)
        payload, exact = _payload(generator.rng, body, pad=False)
        frame = _exception_frame(member, payload)
        theirs = _botocore_error(frame, union, union.name)
        ours = layer.decode_event(es.decode(frame), stream)
        assert isinstance(ours, ServiceException), f"[{index}] {ours!r}"
        assert type(ours).__name__ == shape.name  # boto3's client.exceptions.<name>
        assert (ours.exception_type, ours.message) == (theirs["Code"], theirs["Message"])
        assert ours.status_code == status
        assert ours.retryable == _retries(MODELS[service], shape.name, status)
        again = layer.encode_event(ours).encode()
        if exact:
            assert again == frame, f"[{index}]"
        assert json.loads(es.decode(again).payload) == body
        assert _botocore_error(again, union, union.name) == theirs
        with pytest.raises(type(ours)):
            _read(service, frame, stream)


# --- a future model: what we do not know comes back whole ---------------------------------------


@functools.cache
def _future_model(service: str) -> tuple[Any, dict[str, set[str]]]:
    model = MODELS[service]
    data = copy.deepcopy(botocore_session.get_session().get_service_data(service))
    shapes = data["shapes"]
    shapes["FutureValue"] = {
        "type": "structure",
        "members": {"note": {"shape": "FutureString"}, "count": {"shape": "FutureLong"}},
    }
    shapes["FutureString"] = {"type": "string"}
    shapes["FutureLong"] = {"type": "long"}
    shapes["FutureEvent"] = {**shapes["FutureValue"], "event": True}
    shapes["FutureException"] = {
        "type": "structure", "members": {"message": {"shape": "FutureString"}},
        "error": {"httpStatusCode": 409, "senderFault": True}, "exception": True,
    }  # fmt: skip
    unions = [_union(service, s).name for s in LAYERS[service].STREAMS]
    added: dict[str, set[str]] = {}
    for name in {name for name, _ in _reachable(model, unions)}:
        shape = shapes[name]
        if shape.get("document") or shape.get("exception") or shape.get("eventstream"):
            continue
        if any(m.get("eventpayload") for m in shape.get("members", {}).values()):
            continue  # the whole payload is one blob: there is no room for another member
        if shape.get("union"):
            shape["members"]["futureMember"] = {"shape": "FutureValue"}
            added[name] = {"futureMember"}
        else:
            shape["members"]["futureField"] = {"shape": "FutureValue"}
    for union in unions:
        shapes[union]["members"]["futureException"] = {"shape": "FutureException"}
        shapes[union]["members"]["futureEvent"] = {"shape": "FutureEvent"}
    return botocore_model.ServiceModel(data, service_name=service), added


def _unknown_members(value: Any) -> Iterator[tuple[str, str]]:
    """``(class name, member)`` of every Unknown* union value inside a typed value."""
    if isinstance(value, Struct):
        for f in dataclasses.fields(value):
            if f.name not in ("extra", "padding"):
                yield from _unknown_members(getattr(value, f.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _unknown_members(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _unknown_members(item)
    elif dataclasses.is_dataclass(value) and hasattr(value, "member"):
        yield type(value).__name__, value.member


STREAM_CASES = [(service, stream) for service, layer in LAYERS.items() for stream in layer.STREAMS]


@pytest.mark.parametrize("case", STREAM_CASES, ids=lambda case: case[1])
def test_a_future_models_members_arrive_unknown_and_go_back_whole(case: tuple[str, str]) -> None:
    service, stream = case
    layer = LAYERS[service]
    future, added = _future_model(service)
    operation = future.operation_model(layer.STREAMS[stream].operation)
    (union,) = [m for m in operation.output_shape.members.values()
                if m.serialization.get("eventstream")]  # fmt: skip
    # A larger budget: the deepest unions (an agent trace's image sources) are reached too.
    generator = ServiceGenerator(future, f"future/{stream}", budget=1000)
    frames: list[bytes] = []
    canonical: list[bool] = []
    for member, shape in union.members.items():
        if not shape.metadata.get("exception"):
            for frame, exact in _frames(generator, member, shape, 60):
                frames.append(frame)
                canonical.append(exact)
    data = b"".join(frames)
    theirs = _botocore_reads(data, union, union.name)
    ours = _read(service, data, stream)
    assert len(ours) == len(theirs) == len(frames)
    unknown_seen: set[tuple[str, str]] = set()
    for index, (event, parsed) in enumerate(zip(ours, theirs, strict=True)):
        if isinstance(event, br.UnknownEvent):
            assert event.event_type == "futureEvent" and event.stream == stream
            assert layer.encode_event(event).encode() == frames[index]
            continue
        assert isinstance(event, ServiceEvent)
        _same(_ours_as_botocore(union, event), parsed, f"[{index}]")  # nothing lost
        unknown_seen.update(_unknown_members(event))
        again = layer.encode_event(event).encode()
        if canonical[index]:
            assert again == frames[index], f"[{index}]"
        before, after = es.decode(frames[index]).payload, es.decode(again).payload
        if type(event).payload_field is None:
            assert json.loads(after) == json.loads(before)
        else:
            assert after == before
    assert any(isinstance(e, br.UnknownEvent) for e in ours)
    # Every union an event reaches keeps a new member in its Unknown* class.
    reached = {
        name for name, _ in _reachable(future, [union.members[m].name for m in union.members])
    }
    expected = {(f"Unknown{name}", "futureMember") for name in added if name in reached}
    # Only new members are unknown; the random walk reaches some unions (every one of them
    # is planted directly in the next test).
    assert unknown_seen <= expected
    assert unknown_seen or not expected
    frame = _exception_frame("futureException", b'{"message":"from the future"}')
    exception = layer.decode_event(es.decode(frame), stream)
    assert isinstance(exception, br.UnknownException)
    assert (exception.name, exception.message) == ("futureException", "from the future")
    assert layer.encode_event(exception).encode() == frame
    assert _botocore_error(frame, union, union.name)["Code"] == "futureException"


# --- Bedrock's reader and the CLI's path know these streams ----------------------------------


@pytest.mark.parametrize("case", STREAM_CASES, ids=lambda case: case[1])
def test_bedrocks_reader_types_these_streams_named_auto_and_from_the_url(
    case: tuple[str, str],
) -> None:
    service, stream = case
    layer = LAYERS[service]
    union = _union(service, stream)
    members = [m for m, s in union.members.items() if not s.metadata.get("exception")]
    sample = _sample(service, stream, members[-1])
    ours = _read(service, sample.data, stream)
    assert list(br.events(sample.data, stream)) == ours  # type: ignore[arg-type]
    reader = br.EventReader("auto")
    typed = [reader.read(es.decode(frame)) for frame in sample.frames]
    event_type = members[-1]
    # An event type two streams share goes to the first (agent before inline-agent).
    owners = [n for n, s in layer.STREAMS.items() if s.event_class(event_type) is not None]
    assert reader.stream == owners[0], reader.stream_note
    if owners[0] == stream:
        assert typed == ours
    path = layer.STREAMS[stream].http_path.replace("{", "x").replace("}", "")
    url = f"https://runtime.example.amazonaws.com{path}?x=1"
    assert br.stream_from_path(url) == stream == layer.stream_from_path(url)
    hinted = br.EventReader("auto", hint=br.stream_from_path(url))
    assert [hinted.read(es.decode(frame)) for frame in sample.frames] == ours


def test_an_unknown_stream_name_is_refused_with_the_choices() -> None:
    with pytest.raises(es.ConfigurationError, match="choose one of"):
        sagemaker.EventReader("agent")
    with pytest.raises(es.ConfigurationError):
        br.EventReader("no-such-stream")  # type: ignore[arg-type]


def _unions_of(layer: ModuleType) -> dict[str, Any]:
    """Each union alias of a layer, by name (``Trace = A | B | UnknownTrace``)."""
    return {
        name[len("Unknown") :]: getattr(layer, name[len("Unknown") :])
        for name in layer._shapes.__all__
        if name.startswith("Unknown")
    }


@pytest.mark.parametrize("service", list(LAYERS))
def test_every_union_keeps_a_new_member_in_its_unknown_class(service: str) -> None:
    layer = LAYERS[service]
    unions = _unions_of(layer)
    model = MODELS[service]
    roots = [_union(service, s).name for s in layer.STREAMS]
    model_unions = {n for n, _ in _reachable(model, roots) if model.shape_for(n).is_tagged_union}
    assert set(unions) == model_unions
    planted = {"futureMember": {"note": "é", "count": 2**60, "nested": [None, {"a": 1.5}]}}
    for name, alias in unions.items():
        decode, encode = _converter(alias)
        value = decode(copy.deepcopy(planted), name)
        assert type(value).__name__ == f"Unknown{name}" and value.member == "futureMember"
        assert encode(value) == planted
