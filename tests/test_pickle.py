"""Errors, messages and typed Bedrock events survive pickle, copy.copy and copy.deepcopy.

The real-world case: a decoding error raised in a ProcessPoolExecutor worker reaches the
parent as the same class with the same fields, instead of breaking the pool.
"""

from __future__ import annotations

import concurrent.futures
import copy
import dataclasses
import inspect
import multiprocessing
import pickle
import uuid
import zlib
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import Any, cast

import pytest

import eventstream as es
import eventstream.signing
from eventstream import bedrock as br
from eventstream.bedrock import _events
from eventstream.samples import SAMPLES, sample_bytes


def _pickled(protocol: int) -> Callable[[Any], Any]:
    return lambda value: pickle.loads(pickle.dumps(value, protocol))


COPIERS: dict[str, Callable[[Any], Any]] = {
    **{f"pickle-{p}": _pickled(p) for p in range(pickle.HIGHEST_PROTOCOL + 1)},
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
}
copiers = pytest.mark.parametrize("copier", list(COPIERS.values()), ids=list(COPIERS))

FRAME = es.Message(
    [(":message-type", "exception"), (":exception-type", "weirdException"), ("n", es.Long(-1))],
    b'{"message":"odd"}',
)


# --- errors -----------------------------------------------------------------------------------


def _error_classes() -> list[type[es.EventStreamError]]:
    """Every error class the package exports, from the root to the Bedrock exceptions."""
    found: dict[str, type[es.EventStreamError]] = {}
    for module in (es, br, eventstream.signing):
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, es.EventStreamError):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[key] for key in sorted(found)]


#: A value for each constructor parameter, by name (any other name gets a string).
ARGUMENTS: dict[str, Any] = {
    "message": "something is wrong",
    "offset": 41,
    "frame_index": 2,
    "frame_offset": 29,
    "expected": 0x1234ABCD,
    "actual": 0x5678,
    "total_length": 99,
    "headers_length": 7,
    "limit_name": "max_payload_length",
    "limit": 10,
    "problem": "truncated",
    "header_name": ":event-type",
    "received": 5,
    "frame": FRAME,
    "extra": {"requestId": "r-1", "nested": [1, {"n": None}]},
    "original_status_code": 529,
    "original_message": "Overloaded",
    "name": "weirdException",
    "error_code": "InternalFailure",
    "reason": "signature-mismatch",
}


def _build(cls: type[es.EventStreamError]) -> es.EventStreamError:
    """An instance with every constructor parameter set, and attributes set after raising."""
    names = [
        p.name
        for klass in cls.__mro__
        if "__init__" in vars(klass) and issubclass(klass, es.EventStreamError)
        for p in list(inspect.signature(vars(klass)["__init__"]).parameters.values())[1:]
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    error = cls(**{name: ARGUMENTS.get(name, f"<{name}>") for name in dict.fromkeys(names)})
    # What the decoder and the Bedrock layer set on an error after building it.
    error.messages = (es.Message({"a": "b"}, b"1"), FRAME)
    error.frame_offset = 30
    vars(error)["__notes__"] = ["seen in a test"]  # what add_note() (3.11+) sets
    if isinstance(error, br.BedrockException):
        error.raw_payload = b"not an object"
    return error


def assert_same_error(again: BaseException, error: BaseException) -> None:
    assert type(again) is type(error)
    assert vars(again) == vars(error)
    assert again.args == error.args
    assert str(again) == str(error)
    assert repr(again) == repr(error)
    if isinstance(error, br.BedrockException):
        assert again == error


@copiers
@pytest.mark.parametrize("cls", _error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_class_round_trips_with_all_its_fields(
    cls: type[es.EventStreamError], copier: Callable[[Any], Any]
) -> None:
    error = _build(cls)
    again = copier(error)
    assert_same_error(again, error)
    assert again.messages == error.messages and again.frame_offset == 30
    # Class attributes come with the class.
    for name in ("which", "status_code", "retryable", "exception_type"):
        assert getattr(again, name, None) == getattr(error, name, None)


def _decode_errors() -> Iterator[es.EventStreamError]:
    """Errors as the decoder raises them, with messages completed before the fault."""
    good = es.Message({":event-type": "chunk", "n": es.Short(7)}, b"{}").encode()
    bad_prelude = bytearray(good)
    bad_prelude[2] ^= 1
    bad_message = bytearray(good)
    bad_message[-1] ^= 1
    bad_type = bytearray(good)
    bad_type[12 + 1 + len(":event-type")] = 200  # the first header's type byte
    for data in (
        good + bytes(bad_prelude),
        good + bytes(bad_message),
        good[:-3],
        b'{"message":"The security token included in the request is invalid."}',
    ):
        decoder = es.Decoder()
        try:
            decoder.feed(data)
            decoder.close()
        except es.EventStreamError as exc:
            yield exc
        # Used after failing: DecoderStateError.
        try:
            decoder.feed(good)
        except es.DecoderStateError as exc:
            yield exc
    for data, limits in ((good + b"x", {}), (good, {"max_payload_length": 1})):
        try:
            es.decode(data, **limits)
        except es.EventStreamError as exc:
            yield exc
    try:
        es.decode(_with_crcs(bytes(bad_type)))
    except es.HeaderError as exc:
        yield exc


def _with_crcs(frame: bytes) -> bytes:
    """``frame`` with both CRCs recomputed over its (altered) bytes."""
    body = frame[:8] + zlib.crc32(frame[:8]).to_bytes(4, "big") + frame[12:-4]
    return body + zlib.crc32(body).to_bytes(4, "big")


DECODE_ERRORS = list(_decode_errors())


def test_the_decode_errors_are_of_every_kind() -> None:
    kinds = {type(e).__name__ for e in DECODE_ERRORS}
    assert kinds >= {
        "PreludeChecksumError", "MessageChecksumError", "TruncatedError", "DecoderStateError",
        "TrailingDataError", "LimitExceededError", "HeaderError",
    }  # fmt: skip
    assert any(e.messages for e in DECODE_ERRORS)


@copiers
@pytest.mark.parametrize("error", DECODE_ERRORS, ids=lambda e: type(e).__name__)
def test_errors_from_the_decoder_round_trip(
    error: es.EventStreamError, copier: Callable[[Any], Any]
) -> None:
    again = copier(error)
    assert_same_error(again, error)
    assert [m.encode() for m in again.messages] == [m.encode() for m in error.messages]


def test_bedrock_exceptions_from_frames_round_trip() -> None:
    raw = es.Message(
        {":message-type": "exception", ":exception-type": "throttlingException"}, b"[1]"
    )
    for message in (
        br.encode_event(br.ModelStreamErrorException("x", original_status_code=529)),
        FRAME,
        raw,
        es.Message({":message-type": "error", ":error-code": "E1", ":error-message": "m"}),
    ):
        typed = br.decode_event(message, "invoke", frame_index=4, offset=100)
        assert isinstance(typed, br.BedrockException)
        for copier in COPIERS.values():
            again = copier(typed)
            assert_same_error(again, typed)
            assert br.encode_event(again).encode() == br.encode_event(typed).encode()


# --- messages ---------------------------------------------------------------------------------

EVERY_TYPE = es.Message(
    {
        "t": True, "f": False, "b": es.Byte(-128), "s": es.Short(32767), "i": -(1 << 31),
        "l": es.Long((1 << 63) - 1), "ba": b"\x00\xff", "str": "Hé 👋", "ts": es.Timestamp(-1),
        "u": uuid.UUID(int=(1 << 128) - 1),
    },
    b"\x00payload\xff",
)  # fmt: skip
MESSAGES = {
    "empty": es.Message(),
    "every-type": EVERY_TYPE,
    "decoded": es.decode(EVERY_TYPE.encode()),
    "strings": es.Message({":event-type": "chunk", ":message-type": "event"}, b"{}"),
    "big": es.Message({"a": "x" * 32767}, b"p" * 100_000),
}


@copiers
@pytest.mark.parametrize("name", list(MESSAGES))
def test_a_message_round_trips_and_reencodes_the_same(
    name: str, copier: Callable[[Any], Any]
) -> None:
    message = MESSAGES[name]
    again = copier(message)
    assert type(again) is es.Message
    assert again == message and hash(again) == hash(message)
    assert list(again.headers.items()) == list(message.headers.items())
    assert again.typed_headers() == message.typed_headers()
    assert again.header_block() == message.header_block()
    assert again.encode() == message.encode()
    # Still immutable, its headers still read-only.
    assert type(again.headers) is MappingProxyType
    with pytest.raises(AttributeError, match="immutable"):
        again.payload = b""


# --- typed Bedrock events ---------------------------------------------------------------------

BEDROCK_VALUES: list[Any] = [
    br.Chunk(bytes=b'{"type":"message_stop"}', padding="abc"),
    br.MessageStart(role="assistant", extra={"new": {"k": [1]}}),
    br.ContentBlockStart(
        content_block_index=1,
        start=br.ToolUseStart(tool_use_id="t1", name="get_weather", type="tool_use"),
    ),
    br.ContentBlockStart(
        content_block_index=2, start=br.ToolResultStart(tool_use_id="t1", status="success")
    ),
    br.ContentBlockStart(content_block_index=3, start=br.ImageStart(format="png")),
    br.ContentBlockStart(content_block_index=4, start=br.UnknownStart("video", {"f": "mp4"})),
    br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="Hé", extra={"x": 1})),
    br.ContentBlockDelta(content_block_index=1, delta=br.ToolUseDelta(input='{"a"')),
    br.ContentBlockDelta(
        content_block_index=2,
        delta=br.ToolResultDelta(
            blocks=(br.ToolResultBlockDelta(text="22C"), br.ToolResultBlockDelta(json={"t": 22}))
        ),
    ),
    br.ContentBlockDelta(
        content_block_index=0,
        delta=br.ReasoningContentDelta(text="hmm", signature="c2ln", redacted_content=b"\x00"),
    ),
    br.ContentBlockDelta(
        content_block_index=4,
        delta=br.CitationDelta(
            title="Doc",
            source_content=(br.CitationSourceContent(text="quoted"),),
            location=br.CitationLocation(
                web=br.WebLocation(url="https://example.com", domain="example.com"),
                document_char=br.DocumentSpan(document_index=0, start=3, end=9),
                search_result_location=br.SearchResultSpan(search_result_index=1, start=0),
            ),
        ),
    ),
    br.ContentBlockDelta(
        content_block_index=3,
        delta=br.ImageDelta(
            source=br.ImageSource(bytes=b"\x89PNG", s3_location=br.S3Location(uri="s3://b/k")),
            error=br.ErrorBlock(message="partial"),
        ),
    ),
    br.ContentBlockDelta(content_block_index=5, delta=br.UnknownDelta("audio", {"pcm": "AA=="})),
    br.ContentBlockStop(content_block_index=1),
    br.MessageStop(stop_reason="end_turn", additional_model_response_fields={"s": None}),
    br.Metadata(
        usage=br.Usage(
            input_tokens=10,
            output_tokens=5,
            total_tokens=15,
            cache_details=(br.CacheDetail(ttl="5m", input_tokens=2, extra={"z": 0}),),
            extra={"serverToolUsage": {"webSearch": 1}},
        ),
        metrics=br.Metrics(latency_ms=421),
        trace={"promptRouter": {"invokedModelId": "m"}},
        padding="abcdef",
    ),
    br.UnknownEvent("newEvent", es.Message({":event-type": "newEvent"}, b"{}"), "converse"),
    br.Metadata(
        usage=br.Usage(input_tokens=1, output_tokens=2, total_tokens=3),
        metrics=br.Metrics(latency_ms=9),
        trace=br.Trace(
            guardrail=br.GuardrailTraceAssessment(
                model_output=("out",),
                input_assessment={"g1": br.GuardrailAssessment()},
                output_assessments={"g1": (br.GuardrailAssessment(),)},
                action_reason="none",
            ),
            prompt_router=br.PromptRouterTrace(invoked_model_id="m"),
        ),
        performance_config=br.PerformanceConfiguration(latency="optimized"),
        service_tier=br.ServiceTier(type="flex", extra={"new": 1}),
    ),
    # What a guardrail trace's maps hold.
    br.GuardrailAssessment.from_json(
        {
            "topicPolicy": {"topics": [{"name": "n", "type": "DENY", "action": "BLOCKED"}]},
            "contentPolicy": {"filters": [{"type": "HATE", "confidence": "LOW", "action": "NONE"}]},
            "wordPolicy": {
                "customWords": [{"match": "w", "action": "BLOCKED"}],
                "managedWordLists": [{"match": "m", "type": "PROFANITY", "action": "NONE"}],
            },
            "sensitiveInformationPolicy": {
                "piiEntities": [{"match": "a@b", "type": "EMAIL", "action": "ANONYMIZED"}],
                "regexes": [{"action": "BLOCKED", "regex": "x+", "detected": True}],
            },
            "contextualGroundingPolicy": {
                "filters": [
                    {"type": "GROUNDING", "threshold": 0.5, "score": 0.25, "action": "NONE"}
                ]
            },
            "automatedReasoningPolicy": {
                "findings": [
                    {
                        "valid": {
                            "translation": {
                                "premises": [{"logic": "p", "naturalLanguage": "P"}],
                                "untranslatedClaims": [{"text": "t"}],
                                "confidence": 0.9,
                            },
                            "claimsTrueScenario": {"statements": []},
                            "supportingRules": [{"identifier": "r1"}],
                            "logicWarning": {"type": "ALWAYS_TRUE"},
                        }
                    },
                    {"invalid": {"contradictingRules": []}},
                    {"satisfiable": {"claimsFalseScenario": {}}},
                    {"impossible": {}},
                    {"translationAmbiguous": {"options": [{"translations": []}]}},
                    {"tooComplex": {}},
                    {"noTranslations": {}},
                    {"futureFinding": {"x": [1]}},
                ]
            },
            "invocationMetrics": {
                "guardrailProcessingLatency": 12,
                "usage": {
                    "topicPolicyUnits": 1,
                    "contentPolicyUnits": 1,
                    "wordPolicyUnits": 0,
                    "sensitiveInformationPolicyUnits": 0,
                    "sensitiveInformationPolicyFreeUnits": 0,
                    "contextualGroundingPolicyUnits": 0,
                },
                "guardrailCoverage": {
                    "textCharacters": {"guarded": 5, "total": 9},
                    "images": {"guarded": 0, "total": 1},
                },
            },
            "appliedGuardrailDetails": {"guardrailId": "g1", "guardrailOrigin": ["REQUEST"]},
        }
    ),
]


def _walk(value: Any) -> Iterator[Any]:
    """``value`` and every structure nested in it (dataclasses and exceptions)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield value
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name))
    elif isinstance(value, BaseException):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _walk(item)


def _captured_events() -> list[Any]:
    found: list[Any] = []
    for sample in SAMPLES.values():
        stream = cast(br.StreamName, sample.stream)
        found.extend(br.events([sample_bytes(sample.name)], stream, raise_exceptions=False))
    return found


ALL_VALUES = [v for value in (*BEDROCK_VALUES, *_captured_events()) for v in _walk(value)]


def test_every_typed_event_class_has_an_example() -> None:
    declared = {
        obj
        for name in br.__all__
        if isinstance(obj := getattr(br, name), type)
        and obj.__module__ == _events.__name__
        and dataclasses.is_dataclass(obj)
        and obj is not br.BedrockEvent
    }
    assert declared - {type(v) for v in ALL_VALUES} == set()


@copiers
@pytest.mark.parametrize("value", ALL_VALUES, ids=lambda v: type(v).__name__)
def test_typed_bedrock_values_round_trip(value: Any, copier: Callable[[Any], Any]) -> None:
    again = copier(value)
    assert type(again) is type(value)
    assert again == value
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            # Every field, the ones == ignores (padding) included.
            assert getattr(again, f.name) == getattr(value, f.name), f.name
    if isinstance(value, br.BedrockException):
        assert_same_error(again, value)
    if hasattr(value, "extra") and not isinstance(value, br.BedrockException):
        # Still frozen, ``extra`` still read-only.
        assert type(again.extra) is MappingProxyType
        with pytest.raises(dataclasses.FrozenInstanceError):
            again.extra = {}
    if isinstance(value, br.BedrockEvent | br.UnknownEvent):
        # Its own padding, or none (padding=True would draw a random one for each).
        padding = getattr(value, "padding", None) or False
        assert br.encode_event(again, padding=padding) == br.encode_event(value, padding=padding)


def test_a_reassembled_stream_round_trips() -> None:
    data = sample_bytes("converse_tool_use")
    result = br.reassemble(br.events([data], "converse", raise_exceptions=False))
    for copier in COPIERS.values():
        assert copier(result) == result


# --- across processes -------------------------------------------------------------------------


def _decode_in_worker(data: bytes) -> str:
    """A worker's task: decode one frame (raising on a bad one), return its payload."""
    return es.decode(data).payload.decode()


def test_a_decode_error_in_a_process_pool_reaches_the_parent_whole() -> None:
    good = es.Message({":event-type": "chunk"}, b'{"n":1}').encode()
    bad = bytearray(good)
    bad[-5] ^= 0xFF  # in the payload: a message checksum error
    tasks = [good, bytes(bad), good, good[:9]]
    # spawn: the child knows nothing but what is pickled, as on macOS and Windows.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        futures = [pool.submit(_decode_in_worker, data) for data in tasks]
        assert futures[0].result(timeout=120) == '{"n":1}'
        with pytest.raises(es.MessageChecksumError) as info:
            futures[1].result(timeout=60)
        assert futures[2].result(timeout=60) == '{"n":1}'
        with pytest.raises(es.TruncatedError) as truncated:
            futures[3].result(timeout=60)
        # The pool is still usable after the errors.
        assert pool.submit(_decode_in_worker, good).result(timeout=60) == '{"n":1}'
    error = info.value
    assert error.which == "message"
    assert error.expected == int.from_bytes(bad[-4:], "big")
    assert (error.offset, error.frame_index, error.frame_offset) == (len(good) - 4, 0, 0)
    assert str(error).startswith("frame 0, byte")
    assert (truncated.value.expected, truncated.value.received) == (12, 9)


def test_anthropic_events_survive_pickle_and_copies() -> None:
    value = {
        "type": "message_start",
        "message": {"role": "assistant", "usage": {"input_tokens": 3}},
    }
    event = br.read_anthropic(value)
    assert event is not None
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(event, protocol)) == event
    assert copy.copy(event) == event and copy.deepcopy(event) == event
