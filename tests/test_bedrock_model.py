"""The typed layer against botocore's own bedrock-runtime model, member by member.

Instances of every member of every event-stream union a Bedrock client reads are generated
from the service JSON (seeded, so a failure reproduces), sent as Bedrock sends them, and read
by botocore's ``EventStream`` with ``EventStreamJSONParser`` (what boto3 runs) and by
``eventstream.bedrock``. Both must see the same information; what we re-encode must read the
same in botocore; every structure must arrive as its typed class, raw JSON only where the
model says ``document``. A copy of the model with members and fields added stands for a future
service: what we do not model arrives as ``Unknown*`` (or in ``extra``) and goes back intact.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import datetime
import functools
import json
import random
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

import eventstream as es
from eventstream import bedrock as br
from eventstream.bedrock._wire import Struct, UnionMember, _plan, to_wire

botocore = pytest.importorskip("botocore")
botocore_eventstream = pytest.importorskip("botocore.eventstream")
botocore_loaders = pytest.importorskip("botocore.loaders")
botocore_model = pytest.importorskip("botocore.model")
botocore_parsers = pytest.importorskip("botocore.parsers")
botocore_awsrequest = pytest.importorskip("botocore.awsrequest")
botocore_standard = pytest.importorskip("botocore.retries.standard")
botocore_utils = pytest.importorskip("botocore.utils")

SERVICE_JSON = botocore_loaders.Loader().load_service_model("bedrock-runtime", "service-2")
MODEL = botocore_model.ServiceModel(SERVICE_JSON, service_name="bedrock-runtime")

EVENTS_PER_MEMBER = 300
EXCEPTIONS_PER_MEMBER = 100
MAX_DEPTH = 14
NODE_BUDGET = 160
ALPHABET = br.PADDING_ALPHABET

Shape = Any  # botocore.model.Shape and its subclasses
JSON = Any


# --- a small generator of model-valid wire values -------------------------------------------


def _wire_key(member: str, shape: Shape) -> str:
    return str(shape.serialization.get("name", member))


def _is_document(shape: Shape) -> bool:
    return bool(shape.type_name == "structure" and shape.is_document_type)


@functools.cache
def _min_size(model: Any, name: str) -> float:
    """Nodes in the smallest instance of a shape (for unions at the depth limit)."""
    _min_size_of: dict[str, float] = {}

    def size(shape: Shape) -> float:
        if shape.name in _min_size_of:
            return _min_size_of[shape.name]
        _min_size_of[shape.name] = float("inf")  # a cycle never gives the minimum
        kind = shape.type_name
        if kind == "structure" and not _is_document(shape):
            members = shape.members
            if shape.is_tagged_union:
                result = 1 + min(size(m) for m in members.values())
            else:
                result = 1 + sum(size(members[m]) for m in shape.required_members)
        elif kind == "list":
            low = shape.metadata.get("min", 0)
            result = 1 + low * size(shape.member)
        else:
            result = 1
        _min_size_of[shape.name] = result
        return result

    return size(model.shape_for(name))


class Generator:
    """Model-valid values of botocore shapes, in their wire (JSON) form.

    Structures get their required members and a random subset of the optional ones; unions
    exactly one member; members not generated yet are preferred, so every member of every
    reachable shape turns up within a few instances (``covered`` records them).
    """

    def __init__(self, model: Any, seed: str) -> None:
        self.model = model
        self.rng = random.Random(seed)
        self.covered: set[tuple[str, str]] = set()
        self.budget = 0

    def instance(self, shape: Shape) -> JSON:
        self.budget = NODE_BUDGET
        return self.value(shape, 0)

    def value(self, shape: Shape, depth: int) -> JSON:
        self.budget -= 1
        tight = depth >= MAX_DEPTH or self.budget <= 0
        kind = shape.type_name
        rng = self.rng
        if kind == "structure":
            if _is_document(shape):
                return self.document(3)
            if shape.is_tagged_union:
                return self.union(shape, depth, tight)
            return self.structure(shape, depth, tight)
        if kind == "list":
            low, high = shape.metadata.get("min", 0), shape.metadata.get("max", 4)
            count = low if tight else rng.randint(low, min(high, low + 3))
            return [self.value(shape.member, depth + 1) for _ in range(count)]
        if kind == "map":
            count = 0 if tight else rng.randint(0, 2)
            return {self.text(0, 8): self.value(shape.value, depth + 1) for _ in range(count)}
        if kind == "string":
            if shape.enum:
                return rng.choice(shape.enum)
            return self.text(shape.metadata.get("min", 0), shape.metadata.get("max", 40))
        if kind in ("integer", "long"):
            bits = 31 if kind == "integer" else 63
            low = shape.metadata.get("min", -(2**bits))
            high = shape.metadata.get("max", 2**bits - 1)
            return rng.choice([low, high, rng.randint(low, min(high, low + 1000)),
                               rng.randint(low, high)])  # fmt: skip
        if kind in ("double", "float"):
            low = shape.metadata.get("min", -1e300)
            high = shape.metadata.get("max", 1e300)
            number = rng.choice([low, high, rng.uniform(low, high), rng.random()])
            # JSON has one number type: an integral double may be written as 1 or 1.0.
            return int(number) if rng.random() < 0.1 and abs(number) < 2**53 else number
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "blob":
            low = shape.metadata.get("min", 0)
            return base64.b64encode(rng.randbytes(rng.randint(low, low + 24))).decode()
        if kind == "timestamp":
            return rng.randint(0, 2**32)
        raise AssertionError(f"no generator for {kind} ({shape.name})")

    def structure(self, shape: Shape, depth: int, tight: bool) -> dict[str, JSON]:
        out = {}
        required = set(shape.required_members)
        for name, member in shape.members.items():
            if name not in required:
                fresh = (shape.name, name) not in self.covered
                if tight or not (fresh or self.rng.random() < 0.5):
                    continue
            self.covered.add((shape.name, name))
            out[_wire_key(name, member)] = self.value(member, depth + 1)
        return out

    def union(self, shape: Shape, depth: int, tight: bool) -> dict[str, JSON]:
        members = shape.members
        if tight:
            name = min(members, key=lambda m: _min_size(self.model, members[m].name))
        else:
            fresh = [m for m in members if (shape.name, m) not in self.covered]
            name = self.rng.choice(fresh or list(members))
        self.covered.add((shape.name, name))
        return {_wire_key(name, members[name]): self.value(members[name], depth + 1)}

    def text(self, low: int, high: int) -> str:
        pieces = ["a", "Z", "0", " ", "é", "漢", "🎉", '"', "\\", "\n", "\x00", "\x1f", "/"]
        if self.rng.random() < 0.02:
            pieces.append("\ud800")  # a lone surrogate: JSON can carry it as an escape
        length = self.rng.randint(low, max(low, min(high, low + 12)))
        return "".join(self.rng.choice(pieces) for _ in range(length))

    def document(self, depth: int) -> JSON:
        rng = self.rng
        choice = rng.randrange(7 if depth > 0 else 5)
        if choice == 0:
            return rng.random() < 0.5
        if choice == 1:
            return rng.randint(-(2**70), 2**70)
        if choice == 2:
            return rng.uniform(-1e6, 1e6)
        if choice == 3:
            return self.text(0, 6)
        if choice == 4:
            return None if depth < 3 else self.text(0, 3)  # null inside, never the value itself
        if choice == 5:
            return [self.document(depth - 1) for _ in range(rng.randint(0, 3))]
        return {self.text(0, 5): self.document(depth - 1) for _ in range(rng.randint(0, 3))}


# --- what Bedrock sends, and what botocore reads ----------------------------------------------


def _payload(rng: random.Random, body: dict[str, JSON], *, pad: bool) -> tuple[bytes, bool]:
    """The payload bytes, and whether they are in Bedrock's own form (compact, keys sorted,
    UTF-8): then our re-encoding must give the very same bytes."""
    body = dict(body)
    if pad and rng.random() < 0.9:
        body["p"] = ALPHABET[: rng.randint(1, len(ALPHABET))]
    # Bedrock pads every event; an event that came without "p" gains one on re-encoding.
    canonical = rng.random() < 0.6 and (not pad or "p" in body)
    if canonical:
        options: dict[str, Any] = {"sort_keys": True, "separators": (",", ":")}
        ascii_only = False
    else:
        options = {"sort_keys": rng.random() < 0.5}
        ascii_only = rng.random() < 0.5
    try:
        text = json.dumps(body, ensure_ascii=ascii_only, **options).encode()
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form: escapes, as we write it
        text = json.dumps(body, ensure_ascii=True, **options).encode()
    return text, canonical


def _event_frame(name: str, payload: bytes) -> bytes:
    headers = [(":event-type", name), (":content-type", "application/json"),
               (":message-type", "event")]  # fmt: skip
    return es.Message(headers, payload).encode()


def _exception_frame(name: str, payload: bytes) -> bytes:
    headers = [(":exception-type", name), (":content-type", "application/json"),
               (":message-type", "exception")]  # fmt: skip
    return es.Message(headers, payload).encode()


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self) -> Iterator[bytes]:
        for start in range(0, len(self._data), 4096):  # as an HTTP body arrives
            yield self._data[start : start + 4096]


def _botocore_reads(data: bytes, union: Shape, operation: str) -> list[dict[str, Any]]:
    parser = botocore_parsers.EventStreamJSONParser()
    return list(botocore_eventstream.EventStream(_Body(data), union, parser, operation))


def _botocore_error(data: bytes, union: Shape, operation: str) -> dict[str, Any]:
    with pytest.raises(botocore_eventstream.EventStreamError) as caught:
        _botocore_reads(data, union, operation)
    error: dict[str, Any] = caught.value.response["Error"]
    return error


def _as_botocore(shape: Shape, value: JSON) -> Any:
    """A wire value in botocore's Python form: blobs as bytes, nulls dropped, a union's
    member it does not know as ``SDK_UNKNOWN_MEMBER``. Keys outside the model are kept, so
    anything we would add shows up as a difference."""
    kind = shape.type_name
    if kind == "structure":
        if _is_document(shape):
            return value
        names = {_wire_key(m, s): m for m, s in shape.members.items()}
        if shape.is_tagged_union:
            set_keys = [k for k, v in value.items() if v is not None]
            if len(set_keys) == 1 and set_keys[0] not in names:
                return {"SDK_UNKNOWN_MEMBER": {"name": set_keys[0]}}
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            member = names.get(key)
            out[member or key] = (
                item if member is None else _as_botocore(shape.members[member], item)
            )
        return out
    if kind == "list":
        return [_as_botocore(shape.member, item) for item in value]
    if kind == "map":
        return {key: _as_botocore(shape.value, item) for key, item in value.items()}
    if kind == "blob":
        return base64.b64decode(value)
    if kind == "timestamp":
        return botocore_utils.parse_timestamp(value)
    return value


def _same(left: Any, right: Any, path: str = "") -> None:
    """Equal values of equal types, all the way down (``True == 1`` does not pass)."""
    assert type(left) is type(right), f"{path}: {left!r} vs {right!r}"
    if isinstance(left, dict):
        assert left.keys() == right.keys(), f"{path}: keys {sorted(left)} vs {sorted(right)}"
        for key in left:
            _same(left[key], right[key], f"{path}.{key}")
    elif isinstance(left, list):
        assert len(left) == len(right), f"{path}: {len(left)} vs {len(right)} items"
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            _same(a, b, f"{path}[{index}]")
    else:
        assert left == right, f"{path}: {left!r} vs {right!r}"


def _ours_as_botocore(union: Shape, event: br.BedrockEvent) -> dict[str, Any]:
    member = union.members[event.event_type]
    return {event.event_type: _as_botocore(member, to_wire(event))}


# --- every structure typed, raw JSON only where the model says document ------------------------


def _check_typed(shape: Shape, value: Any, path: str, *, as_struct: bool = False) -> None:
    kind = shape.type_name
    if kind == "structure":
        if _is_document(shape):
            return
        if shape.is_tagged_union and not as_struct:
            if isinstance(value, UnionMember):
                assert value.union_key in shape.members, f"{path}: {value!r} is not a member"
                member = shape.members[value.union_key]
                where = f"{path}.{value.union_key}"
                if value.wraps is not None:
                    _check_typed(member, getattr(value, value.wraps), where)
                else:
                    _check_typed(member, value, where, as_struct=True)
                return
            assert isinstance(value, Struct), (
                f"{path}: the {shape.name} union arrived as {type(value).__name__} {value!r}"
            )
        assert isinstance(value, Struct), (
            f"{path}: {shape.name} arrived as raw {type(value).__name__}, not a typed class"
        )
        plan = {key: name for name, key, _, _, _ in _plan(type(value))}
        assert set(plan) == {_wire_key(m, s) for m, s in shape.members.items()}, (
            f"{path}: {type(value).__name__} does not declare {shape.name}'s members"
        )
        assert not value.extra, f"{path}: model members left in extra: {dict(value.extra)}"
        for member, member_shape in shape.members.items():
            item = getattr(value, plan[_wire_key(member, member_shape)])
            if item is not None:
                _check_typed(member_shape, item, f"{path}.{member}")
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
            "double": (float, int), "float": (float, int), "timestamp": datetime.datetime,
        }[kind]  # fmt: skip
        assert isinstance(value, expected) and (kind == "boolean") == isinstance(value, bool), (
            f"{path}: {kind} arrived as {type(value).__name__}"
        )


# --- the members, and their instances -----------------------------------------------------------

#: The unions a Bedrock client reads (and the one it writes), by our stream names.
UNIONS = {name: stream.shape for name, stream in br.STREAMS.items()}
OPERATIONS = {name: stream.operation for name, stream in br.STREAMS.items()}


def _members(*, exceptions: bool) -> list[tuple[str, str]]:
    return [
        (stream, member)
        for stream, union in UNIONS.items()
        for member, shape in MODEL.shape_for(union).members.items()
        if bool(shape.metadata.get("exception")) == exceptions
    ]


EVENT_MEMBERS = _members(exceptions=False)
EXCEPTION_MEMBERS = _members(exceptions=True)


def test_every_event_stream_of_the_model_is_a_stream_here() -> None:
    found = set()
    for name in MODEL.operation_names:
        operation = MODEL.operation_model(name)
        for shape in (operation.input_shape, operation.output_shape):
            for member in shape.members.values() if shape is not None else ():
                if member.serialization.get("eventstream"):
                    found.add((name, member.name))
    assert found == {(stream.operation, stream.shape) for stream in br.STREAMS.values()}


@dataclasses.dataclass
class Sample:
    frames: list[bytes]
    canonical: list[bool]
    covered: set[tuple[str, str]]

    @property
    def data(self) -> bytes:
        return b"".join(self.frames)


@functools.cache
def _event_sample(stream: str, member: str) -> Sample:
    generator = Generator(MODEL, f"{stream}/{member}")
    shape = MODEL.shape_for(UNIONS[stream]).members[member]
    frames, canonical = [], []
    for _ in range(EVENTS_PER_MEMBER):
        payload, exact = _payload(generator.rng, generator.instance(shape), pad=True)
        frames.append(_event_frame(member, payload))
        canonical.append(exact)
    return Sample(frames, canonical, generator.covered)


def _ids(case: tuple[str, str]) -> str:
    return f"{case[0]}-{case[1]}"


@pytest.mark.parametrize("case", EVENT_MEMBERS, ids=_ids)
def test_events_read_as_botocore_reads_them(case: tuple[str, str]) -> None:
    stream, member = case
    union = MODEL.shape_for(UNIONS[stream])
    sample = _event_sample(stream, member)
    theirs = _botocore_reads(sample.data, union, OPERATIONS[stream])
    ours = list(br.events(sample.data, stream, strict=True))  # type: ignore[arg-type]
    assert len(ours) == len(theirs) == EVENTS_PER_MEMBER
    for index, (event, parsed) in enumerate(zip(ours, theirs, strict=True)):
        assert isinstance(event, br.BedrockEvent)
        _same(_ours_as_botocore(union, event), parsed, f"[{index}] {sample.frames[index]!r}")


@pytest.mark.parametrize("case", EVENT_MEMBERS, ids=_ids)
def test_events_reencode_to_what_botocore_reads_the_same(case: tuple[str, str]) -> None:
    stream, member = case
    union = MODEL.shape_for(UNIONS[stream])
    sample = _event_sample(stream, member)
    ours = list(br.events(sample.data, stream, strict=True))  # type: ignore[arg-type]
    again = [br.encode_event(event).encode() for event in ours]
    for index, (frame, exact) in enumerate(zip(sample.frames, sample.canonical, strict=True)):
        if exact:  # Bedrock's own form comes back byte for byte
            assert again[index] == frame, f"[{index}]"
    _same(_botocore_reads(b"".join(again), union, OPERATIONS[stream]),
          _botocore_reads(sample.data, union, OPERATIONS[stream]))  # fmt: skip
    assert list(br.events(b"".join(again), stream)) == ours  # type: ignore[arg-type]


@pytest.mark.parametrize("case", EVENT_MEMBERS, ids=_ids)
def test_every_structure_arrives_typed(case: tuple[str, str]) -> None:
    stream, member = case
    shape = MODEL.shape_for(UNIONS[stream]).members[member]
    for index, event in enumerate(br.events(_event_sample(stream, member).data, stream)):  # type: ignore[arg-type]
        assert isinstance(event, br.BedrockEvent) and event.event_type == member
        _check_typed(shape, event, f"[{index}] {member}", as_struct=True)


def _reachable(model: Any, names: list[str]) -> set[tuple[str, str]]:
    """Every (structure, member) reachable from the named shapes, documents excluded."""
    found: set[tuple[str, str]] = set()
    seen: set[str] = set()
    stack = [model.shape_for(name) for name in names]
    while stack:
        shape = stack.pop()
        if shape.name in seen:
            continue
        seen.add(shape.name)
        if shape.type_name == "structure" and not _is_document(shape):
            for member, member_shape in shape.members.items():
                found.add((shape.name, member))
                stack.append(member_shape)
        elif shape.type_name == "list":
            stack.append(shape.member)
        elif shape.type_name == "map":
            stack.append(shape.value)
    return found


def test_the_instances_cover_every_member_of_every_shape() -> None:
    event_shapes = [
        MODEL.shape_for(UNIONS[stream]).members[member].name for stream, member in EVENT_MEMBERS
    ]
    covered = set().union(*(_event_sample(*case).covered for case in EVENT_MEMBERS))
    assert _reachable(MODEL, event_shapes) - covered == set()
    # The deepest of them, for a start: a finding's translation options, 12 levels down.
    assert ("GuardrailAutomatedReasoningTranslationOption", "translations") in covered


# --- exceptions ------------------------------------------------------------------------------


def _botocore_retries(code: str, status: int) -> bool:
    """Whether botocore's standard retry mode retries this error as an HTTP response."""
    response = botocore_awsrequest.AWSResponse("https://bedrock", status, {}, None)
    context = botocore_standard.RetryContext(
        attempt_number=1,
        operation_model=MODEL.operation_model("ConverseStream"),
        parsed_response={"Error": {"Code": code, "Message": ""},
                         "ResponseMetadata": {"HTTPStatusCode": status}},
        http_response=response,
    )  # fmt: skip
    return bool(botocore_standard.StandardRetryConditions().is_retryable(context))


#: Retryable here although botocore's standard mode would not retry them as HTTP errors (see
#: docs/gateway.md): the model times out, or fails mid-stream, and its documentation says retry.
RETRYABLE_BEYOND_BOTOCORE = {"ModelTimeoutException", "ModelStreamErrorException"}


@pytest.mark.parametrize("case", EXCEPTION_MEMBERS, ids=_ids)
def test_exceptions_decode_to_the_class_botocore_names(case: tuple[str, str]) -> None:
    stream, member = case
    union = MODEL.shape_for(UNIONS[stream])
    shape = union.members[member]
    generator = Generator(MODEL, f"{stream}/{member}")
    expected_retry = _botocore_retries(shape.name, shape.metadata["error"]["httpStatusCode"])
    for index in range(EXCEPTIONS_PER_MEMBER):
        body = generator.instance(shape)
        payload, exact = _payload(generator.rng, body, pad=False)
        frame = _exception_frame(member, payload)
        error = _botocore_error(frame, union, OPERATIONS[stream])
        ours = br.decode_event(es.decode(frame), stream)  # type: ignore[arg-type]
        assert isinstance(ours, br.BedrockException), f"[{index}] {ours!r}"
        assert type(ours).__name__ == shape.name  # boto3's client.exceptions.<name>
        assert (ours.exception_type, ours.message) == (error["Code"], error["Message"])
        assert ours.status_code == shape.metadata["error"]["httpStatusCode"]
        assert ours.retryable == (expected_retry or shape.name in RETRYABLE_BEYOND_BOTOCORE)
        _same(br.exception_body(ours), body, f"[{index}]")
        again = br.encode_event(ours).encode()
        if exact:
            assert again == frame, f"[{index}]"
        assert _botocore_error(again, union, OPERATIONS[stream]) == error
        with pytest.raises(type(ours)):
            list(br.events(frame, stream))  # type: ignore[arg-type]


# --- a future model: what we do not know comes back whole ---------------------------------------


@functools.cache
def _future_model() -> tuple[Any, dict[str, set[str]]]:
    """The model with one more member in every union, one more optional field in every
    structure, new enum values and a new event and exception in every output stream; and the
    added union members, by union."""
    service = copy.deepcopy(SERVICE_JSON)
    shapes = service["shapes"]
    shapes["FutureValue"] = {
        "type": "structure",
        "members": {"note": {"shape": "String"}, "data": {"shape": "Blob"},
                    "count": {"shape": "Long"}},
    }  # fmt: skip
    shapes["FutureEvent"] = {**shapes["FutureValue"], "event": True}
    shapes["FutureException"] = {
        "type": "structure", "members": {"message": {"shape": "NonBlankString"}},
        "error": {"httpStatusCode": 409, "senderFault": True}, "exception": True,
    }  # fmt: skip
    reachable = {name for name, _ in _reachable(MODEL, list(UNIONS.values()))}
    added: dict[str, set[str]] = {}
    for name in reachable:
        shape = shapes[name]
        if shape.get("document") or shape.get("exception") or shape.get("eventstream"):
            continue
        if shape.get("union"):
            shape["members"]["futureMember"] = {"shape": "FutureValue"}
            added[name] = {"futureMember"}
        else:
            shape["members"]["futureField"] = {"shape": "FutureValue"}
    for union in UNIONS.values():
        members = shapes[union]["members"]
        if union != "InvokeModelWithBidirectionalStreamInput":
            members["futureException"] = {"shape": "FutureException"}
        members["futureEvent"] = {"shape": "FutureEvent"}
    shapes["ConversationRole"]["enum"].append("developer")
    shapes["StopReason"]["enum"].append("future_reason")
    return botocore_model.ServiceModel(service, service_name="bedrock-runtime"), added


def _unknown_members(value: Any) -> Iterator[tuple[type, str]]:
    """``(class, member)`` of every Unknown* union value inside a typed value."""
    if isinstance(value, Struct):
        for name, _, _, _, _ in _plan(type(value)):
            yield from _unknown_members(getattr(value, name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _unknown_members(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _unknown_members(item)
    elif dataclasses.is_dataclass(value) and hasattr(value, "member"):
        yield type(value), value.member


@pytest.mark.parametrize("stream", list(UNIONS))
def test_a_future_models_members_arrive_unknown_and_go_back_whole(stream: str) -> None:
    future, added = _future_model()
    union = future.shape_for(UNIONS[stream])
    current = MODEL.shape_for(UNIONS[stream])
    generator = Generator(future, f"future/{stream}")
    frames, canonical = [], []
    for member, shape in union.members.items():
        if shape.metadata.get("exception"):
            continue
        for _ in range(60):
            payload, exact = _payload(generator.rng, generator.instance(shape), pad=True)
            frames.append(_event_frame(member, payload))
            canonical.append(exact)
    data = b"".join(frames)
    theirs = _botocore_reads(data, union, OPERATIONS[stream])
    ours = list(br.events(data, stream))  # type: ignore[arg-type]
    assert len(ours) == len(theirs) == len(frames)
    unknown_seen: set[tuple[type, str]] = set()
    for index, (event, parsed) in enumerate(zip(ours, theirs, strict=True)):
        if isinstance(event, br.UnknownEvent):
            assert event.event_type == "futureEvent" and event.stream == stream
            assert br.encode_event(event).encode() == frames[index]
            continue
        assert isinstance(event, br.BedrockEvent)
        _same(_ours_as_botocore(union, event), parsed, f"[{index}]")  # nothing lost
        unknown_seen.update(_unknown_members(event))
        again = br.encode_event(event, padding=event.padding is not None).encode()
        if canonical[index]:
            assert again == frames[index], f"[{index}]"
        assert json.loads(es.decode(again).payload) == json.loads(es.decode(frames[index]).payload)
    assert {type(e) for e in ours} >= {br.UnknownEvent}
    # A client of today reads our relay as it reads the future service directly.
    again = b"".join(br.encode_event(event).encode() for event in ours)
    _same(_botocore_reads(again, current, OPERATIONS[stream]),
          _botocore_reads(data, current, OPERATIONS[stream]))  # fmt: skip
    # Every union this library models with member classes keeps a new member in its Unknown*.
    typed_unions = {"ContentBlockStart": br.UnknownStart, "ContentBlockDelta": br.UnknownDelta}
    typed_unions.update(_UNKNOWN_CLASSES)
    if stream == "converse":
        expected = {(cls, "futureMember") for name, cls in typed_unions.items() if name in added}
        assert expected <= unknown_seen
    assert {member for _, member in unknown_seen} <= {"futureMember"}
    if stream != "bidirectional-input":
        frame = _exception_frame("futureException", b'{"message":"from the future"}')
        exception = br.decode_event(es.decode(frame), stream)  # type: ignore[arg-type]
        assert isinstance(exception, br.UnknownException)
        assert exception.name == "futureException" and exception.message == "from the future"
        assert br.encode_event(exception).encode() == frame
        assert _botocore_error(frame, union, OPERATIONS[stream])["Code"] == "futureException"


#: Unknown* classes of the nested unions beyond ``start`` and ``delta``, by model shape.
_UNKNOWN_CLASSES: dict[str, type] = {
    "GuardrailAutomatedReasoningFinding": br.UnknownAutomatedReasoningFinding,
}


def test_http_errors_are_the_modelled_errors_of_the_operations_served() -> None:
    # What HTTP_ERRORS says it holds, against the installed model: a new error of any of
    # these operations fails here, not in a client.
    served = ("InvokeModel", "Converse", "ConverseStream", "InvokeModelWithResponseStream",
              "InvokeModelWithBidirectionalStream")  # fmt: skip
    modelled = {e.name for op in served for e in MODEL.operation_model(op).error_shapes}
    assert set(br.HTTP_ERRORS) == modelled
    for code, cls in br.HTTP_ERRORS.items():
        shape = MODEL.shape_for(code)
        assert cls.status_code == shape.metadata["error"]["httpStatusCode"], code
