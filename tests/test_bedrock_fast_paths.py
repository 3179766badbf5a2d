"""The decoder's fast path for text deltas gives exactly what the general path gives.

``decode_event`` reads a text delta in Bedrock's own layout without parsing the whole
payload (``_streams._text_delta``); any other layout takes the general path. Here both run
on the same payloads -- Bedrock's layout, near misses, and hostile strings -- and must agree
on the event (fields, padding, extra) or on the error.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eventstream as es
from eventstream import bedrock as br
from eventstream.bedrock import _streams, _wire
from eventstream.bedrock._json import loads
from eventstream.bedrock._wire import WireError, decoder_of


def _general(payload: bytes) -> Any:
    """What the general path gives: the event, or the error's class and text."""
    message = es.Message({":message-type": "event", ":event-type": "contentBlockDelta"}, payload)
    try:
        value = loads(payload)
    except ValueError:
        value = None
    if value is None:
        try:
            br.decode_event(message, "converse")
        except br.BedrockPayloadError as exc:
            return type(exc)
        raise AssertionError("bad JSON decoded")
    try:
        return decoder_of(br.ContentBlockDelta)(value)
    except WireError:
        return WireError


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, br.ContentBlockDelta) and isinstance(b, br.ContentBlockDelta):
        return (a, a.padding, dict(a.extra), dict(getattr(a.delta, "extra", {}))) == (
            b, b.padding, dict(b.extra), dict(getattr(b.delta, "extra", {})),
        )  # fmt: skip
    return bool(a == b)


def _check(payload: bytes) -> None:
    fast = _streams._text_delta(payload)
    general = _general(payload)
    if fast is not None:
        assert _same(fast, general), (payload, fast, general)
    # And through decode_event itself (fast or not), the general path's answer.
    message = es.Message({":message-type": "event", ":event-type": "contentBlockDelta"}, payload)
    try:
        got: Any = br.decode_event(message, "converse")
    except br.BedrockPayloadError:
        got = br.BedrockPayloadError
    if isinstance(general, type) and not issubclass(general, br.BedrockPayloadError):
        general = br.BedrockPayloadError  # a shape error, as decode_event reports it
    assert _same(got, general), (payload, got, general)


BEDROCK_LAYOUT = [
    b'{"contentBlockIndex":0,"delta":{"text":"Paris"},"p":"abcdef"}',
    b'{"contentBlockIndex":1,"delta":{"text":"#"},"p":"abcdefghijklmnopqrs"}',
    b'{"contentBlockIndex":0,"delta":{"text":""}}',
    b'{"contentBlockIndex":12,"delta":{"text":"a\\"b\\\\c\\u00e9\\ud83d\\ude00\\n"},"p":""}',
    '{"contentBlockIndex":3,"delta":{"text":"caf\u00e9 \u2028 \U0001f600"},"p":"ab"}'.encode(),
]


@pytest.mark.parametrize("payload", BEDROCK_LAYOUT)
def test_bedrock_s_layout_takes_the_fast_path_and_agrees(payload: bytes) -> None:
    assert _streams._text_delta(payload) is not None
    _check(payload)


NEAR_MISSES = [
    b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":"xyz"}',  # "p" is not padding: extra
    b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":"ab","q":1}',  # an extra key
    b'{"contentBlockIndex":0,"delta":{"text":"a","more":1}}',  # an extra key in the delta
    b'{"contentBlockIndex":0,"delta":{"text":"a"}} ',  # trailing whitespace
    b'{"contentBlockIndex":0,"delta":{"text":"a"}}}',  # extra data
    b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":"a\\u0062"}',  # an escape in "p"
    b'{"contentBlockIndex":01,"delta":{"text":"a"}}',  # not a JSON number
    b'{"contentBlockIndex":1234567890,"delta":{"text":"a"}}',  # ten digits
    b'{"contentBlockIndex":0,"delta":{"text":"a\x01"}}',  # a raw control character
    b'{"contentBlockIndex":0,"delta":{"text":"a\\x"}}',  # a bad escape
    b'{"contentBlockIndex":0,"delta":{"text":"\xff"}}',  # not UTF-8
    b'{"contentBlockIndex":0,"delta":{"text":"unterminated}}',
    b'{"contentBlockIndex":0,"delta":{"text":"a"},"contentBlockIndex":1}',  # a duplicate
    b'{"delta":{"text":"a"},"contentBlockIndex":0}',  # another key order
    b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":"ab"',  # cut
    b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":"}',  # "p" unterminated (the fuzzer)
]


@pytest.mark.parametrize("payload", NEAR_MISSES)
def test_near_misses_agree_with_the_general_path(payload: bytes) -> None:
    _check(payload)


def test_a_p_that_is_not_padding_stays_in_extra_on_either_path() -> None:
    payload = NEAR_MISSES[0]
    message = es.Message({":message-type": "event", ":event-type": "contentBlockDelta"}, payload)
    event = br.decode_event(message, "converse")
    assert isinstance(event, br.ContentBlockDelta)
    assert event.padding is None and dict(event.extra) == {"p": "xyz"}


@settings(max_examples=300, deadline=None)
@given(
    index=st.integers(0, 10**10),
    text=st.text(),
    padding=st.none() | st.text(alphabet='abcXYZ09"\\}', max_size=8),
    ensure_ascii=st.booleans(),
    tail=st.sampled_from(["", " ", "}", ',"x":1']),
)
def test_any_text_delta_agrees(
    index: int, text: str, padding: str | None, ensure_ascii: bool, tail: str
) -> None:
    text_json = json.dumps(text, ensure_ascii=ensure_ascii)
    body = f'{{"contentBlockIndex":{index},"delta":{{"text":{text_json}}}'
    if padding is not None:
        body += f',"p":"{padding}"'
    body += tail + "}"
    _check(body.encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_any_bytes_after_the_head_agree(rest: bytes) -> None:
    _check(b'{"contentBlockIndex":0,"delta":{"text":"' + rest)


def _frame(payload: bytes) -> es.Frame:
    message = es.Message({":message-type": "event", ":event-type": "contentBlockDelta"}, payload)
    return es.Frame(message, 0, len(message.encode()), 0)


@pytest.mark.parametrize("payload", BEDROCK_LAYOUT + NEAR_MISSES)
@pytest.mark.parametrize("stream", ["converse", "auto", None])
def test_the_reader_s_shortcut_gives_decode_event_s_answer(
    payload: bytes, stream: br.StreamChoice | None
) -> None:
    frame = _frame(payload)
    try:
        expected: Any = br.decode_event(frame.message, None if stream is None else "converse")
    except br.BedrockPayloadError:
        expected = br.BedrockPayloadError
    try:
        got: Any = br.EventReader(stream).read_frame(frame)
    except br.BedrockPayloadError:
        got = br.BedrockPayloadError
    assert _same(got, expected)


def test_a_delta_outside_the_stream_s_union_is_not_taken_for_a_text_delta() -> None:
    frame = _frame(BEDROCK_LAYOUT[0])
    with pytest.warns(br.StreamMismatchWarning):
        event = br.EventReader("invoke").read_frame(frame)
    assert isinstance(event, br.UnknownEvent)
    with pytest.raises(br.UnexpectedEventError):
        br.EventReader("invoke", strict=True, warn=False).read_frame(frame)
    exception = es.Message(
        {":message-type": "exception", ":exception-type": "throttlingException",
         ":event-type": "contentBlockDelta"},
        b'{"message":"slow"}',
    )  # fmt: skip
    got = br.EventReader("converse").read_frame(es.Frame(exception, 0, 0, 0))
    assert isinstance(got, br.ThrottlingException)


# --- chunks (InvokeModelWithResponseStream) ----------------------------------------------------


def _general_chunk(payload: bytes) -> Any:
    try:
        value = loads(payload)
    except ValueError:
        return br.BedrockPayloadError
    try:
        return decoder_of(br.Chunk)(value)
    except WireError:
        return br.BedrockPayloadError


def _check_chunk(payload: bytes) -> None:
    fast = _streams._chunk(payload)
    general = _general_chunk(payload)
    if fast is not None:
        assert (fast, fast.padding, dict(fast.extra)) == (
            general, general.padding, dict(general.extra),
        ), payload  # fmt: skip
    message = es.Message({":message-type": "event", ":event-type": "chunk"}, payload)
    for read in (
        lambda: br.decode_event(message, "invoke"),
        lambda: br.EventReader("invoke").read_frame(es.Frame(message, 0, 0, 0)),
    ):
        try:
            got: Any = read()
        except br.BedrockPayloadError:
            got = br.BedrockPayloadError
        if isinstance(got, br.Chunk):
            assert (got, got.padding, dict(got.extra)) == (
                general, general.padding, dict(general.extra),
            ), payload  # fmt: skip
        else:
            assert got is general, payload


CHUNKS = [
    b'{"bytes":"eyJ0eXBlIjoicGluZyJ9","p":"abcdefgh"}',
    b'{"bytes":"eyJ0eXBlIjoicGluZyJ9"}',
    b'{"bytes":"","p":""}',
    b'{"bytes":"YQ=="}',
    b'{"bytes":"YR=="}',  # set bits after the last byte: not canonical, refused
    b'{"bytes":"YQ"}',  # padding missing: refused
    b'{"bytes":"Y Q=="}',  # a space inside
    b'{"bytes":"YQ==","p":"xyz"}',  # "p" not padding: extra
    b'{"bytes":"YQ==","p":"ab","q":1}',
    b'{"bytes":"YQ==" }',
    b'{"bytes":"YQ\\u003d\\u003d"}',  # escapes: JSON, but not Bedrock's layout
    b'{"bytes":"YQ==',
    b'{"bytes":null}',
    b'{"bytes":"\xff"}',
    b'{"bytes":"YQ==","p":"ab\xff"}',
    b'{"bytes":"","p":"}',  # "p" unterminated: found by the coverage-guided fuzzer
]


@pytest.mark.parametrize("payload", CHUNKS)
def test_chunk_layouts_agree_with_the_general_path(payload: bytes) -> None:
    _check_chunk(payload)


def test_bedrock_s_chunk_layout_takes_the_fast_path() -> None:
    for payload in CHUNKS[:4]:
        assert _streams._chunk(payload) is not None, payload


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60), st.none() | st.text(alphabet='abcXYZ"}\\', max_size=6))
def test_any_chunk_agrees(data: bytes, padding: str | None) -> None:
    body = b'{"bytes":"' + base64.b64encode(data) + b'"'
    if padding is not None:
        body += b',"p":"' + padding.encode() + b'"'
    _check_chunk(body + b"}")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60))
def test_any_bytes_after_the_chunk_head_agree(rest: bytes) -> None:
    _check_chunk(b'{"bytes":"' + rest)


# --- canonical base64: strict_mode and the bits past the last byte --------------------------


def _round_trip(raw: bytes) -> bytes | None:
    # The definition, through the base64 module: decodes (validated) and encodes back to it.
    try:
        data = base64.b64decode(raw, validate=True)
    except ValueError:
        return None
    return data if base64.b64encode(data) == raw else None


def test_canonical_base64_is_the_round_trip_on_every_short_text() -> None:
    def every(alphabet: bytes, longest: int) -> list[bytes]:
        texts, last = [b""], [b""]
        for _ in range(longest):
            last = [t + bytes([c]) for t in last for c in alphabet]
            texts += last
        return texts

    # Every text of up to 4 of these, and of up to 8 of the characters padding is made of.
    texts = every(b"AQRgw/+=- \nEF", 4) + every(b"AR=", 8)
    assert len(texts) > 30_000
    for raw in texts:
        expected = _round_trip(raw)
        assert _wire.canonical_base64(raw) == expected, raw
        assert _wire._canonical_by_round_trip(raw) == expected, raw


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=40), st.integers(0, 3), st.sampled_from([b"", b"=", b"==", b"A", b"\n"]))
def test_canonical_base64_is_the_round_trip(data: bytes, flip: int, tail: bytes) -> None:
    raw = bytearray(base64.b64encode(data))
    if raw and flip:
        raw[-1 - flip % len(raw)] ^= 1 << flip  # sometimes a bit past the last byte
    raw += tail
    assert _wire.canonical_base64(bytes(raw)) == _round_trip(bytes(raw))
    assert _wire._canonical_by_round_trip(bytes(raw)) == _round_trip(bytes(raw))
