"""The SSE codec: the WHATWG standard's examples and rules, any split, strict errors."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import eventstream as es
from eventstream import sse

E = sse.ServerSentEvent


def _every_split(data: bytes) -> list[list[sse.ServerSentEvent]]:
    """The events of ``data`` fed whole, byte by byte, and cut at every single point."""
    results = [sse.decode_sse(data)]
    decoder = sse.SSEDecoder()
    results.append([e for i in range(len(data)) for e in decoder.feed(data[i : i + 1])])
    decoder.close()
    for cut in range(len(data) + 1):
        decoder = sse.SSEDecoder()
        results.append(decoder.feed(data[:cut]) + decoder.feed(data[cut:]))
        decoder.close()
    return results


# The standard's examples (HTML, "9.2.6 Interpreting an event stream" and "Authoring notes").
SPEC = [
    # Two events: the first of two data lines joined with LF, the second a single line.
    (b"data: YHOO\ndata: +2\ndata: 10\n\n", [E("YHOO\n+2\n10")]),
    # A comment, then events; the id stays in force for later events.
    (b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
     b"data:  third event\n\n",
     [E("first event", id="1"), E("second event", id=""), E(" third event", id="")]),
    # Fields with no colon: "data" alone is an empty data line.
    (b"data\n\ndata\ndata\n\ndata:\n\n", [E(""), E("\n"), E("")]),
    # A space after the colon is dropped, only one.
    (b"data:test\n\ndata: test\n\n", [E("test"), E("test")]),
    # event: sets the type; retry: digits only; unknown fields ignored.
    (b"event: add\ndata: 73857293\nretry: 1000\nfoo: bar\n\n",
     [E("73857293", event="add", retry=1000)]),
    (b"retry: 10x\ndata: a\n\n", [E("a")]),
    # No data: nothing is dispatched, and the event type does not carry over.
    (b"event: ping\n\ndata: x\n\n", [E("x")]),
    # CR and CRLF end lines as LF does; a byte order mark at the start is skipped.
    (b"\xef\xbb\xbfdata: a\r\rdata: b\r\n\r\n", [E("a"), E("b")]),
    # OpenAI's last event.
    (b"data: [DONE]\n\n", [E(sse.DONE)]),
]  # fmt: skip


@pytest.mark.parametrize(("data", "events"), SPEC)
def test_the_standards_examples_whole_and_split_anywhere(
    data: bytes, events: list[sse.ServerSentEvent]
) -> None:
    for result in _every_split(data):
        assert result == events


@given(
    st.lists(
        st.builds(
            E,
            data=st.text(),
            event=st.text().filter(lambda t: "\n" not in t and "\r" not in t and t)
            | st.just("message"),
            id=st.none() | st.text().filter(lambda t: not {"\n", "\r", "\0"} & set(t)),
            retry=st.none() | st.integers(0, 2**40),
        ),
        max_size=5,
    ),
    st.data(),
)
def test_encode_then_decode_gives_the_events_back_at_any_split(
    events: list[sse.ServerSentEvent], data: st.DataObject
) -> None:
    try:
        stream = b"".join(event.encode() for event in events)
    except es.EncodeError:
        return  # a lone surrogate has no UTF-8 form
    # The id and retry stay in force for the events after them, as the standard says.
    expected, last_id, last_retry = [], None, None
    for event in events:
        last_id = event.id if event.id is not None else last_id
        last_retry = event.retry if event.retry is not None else last_retry
        text = event.data.replace("\r\n", "\n").replace("\r", "\n")
        expected.append(E(text, event.event, last_id, last_retry))
    cut = data.draw(st.integers(0, len(stream)))
    decoder = sse.SSEDecoder()
    assert decoder.feed(stream[:cut]) + decoder.feed(stream[cut:]) == expected
    decoder.close()


def test_a_stream_cut_inside_an_event_is_truncated_not_complete() -> None:
    for data in (b"data: half", b"data: whole line\n", b"event: x\ndata: y\n"):
        decoder = sse.SSEDecoder()
        assert decoder.feed(b"data: a\n\n" + data) == [E("a")]
        with pytest.raises(es.TruncatedError) as caught:
            decoder.close()
        assert caught.value.frame_index == 1 and caught.value.frame_offset == 9
        with pytest.raises(es.TruncatedError):
            decoder.close()  # fails closed
    decoder = sse.SSEDecoder()
    decoder.feed(b": keep-alive\n")  # a comment begins no event
    decoder.close()


def test_text_that_is_not_utf8_is_an_error_with_its_place() -> None:
    decoder = sse.SSEDecoder()
    with pytest.raises(sse.SSEError) as caught:
        decoder.feed(b"data: ok\n\ndata: caf\xe9\n\n")
    error = caught.value
    assert isinstance(error, es.EventStreamError)
    assert (error.offset, error.frame_index, error.frame_offset) == (19, 1, 10)
    assert error.messages == (E("ok"),)  # what came before is kept
    with pytest.raises(sse.SSEError):
        decoder.feed(b"data: more\n\n")


def test_lines_and_events_are_bounded() -> None:
    decoder = sse.SSEDecoder(max_line_length=16)
    with pytest.raises(es.LimitExceededError) as caught:
        decoder.feed(b"data: " + b"x" * 20)  # no line end yet: refused before it grows
    assert caught.value.limit_name == "max_line_length"
    decoder = sse.SSEDecoder(max_event_length=32)
    with pytest.raises(es.LimitExceededError) as caught:
        decoder.feed(b"data: 0123456789\n" * 3)
    assert caught.value.limit_name == "max_event_length"
    for bad in (0, -1, 1.5, True, "8"):
        with pytest.raises(es.ConfigurationError):
            sse.SSEDecoder(max_line_length=bad)  # type: ignore[arg-type]


def test_a_cr_at_the_end_of_a_feed_and_its_lf_in_the_next_are_one_line_end() -> None:
    decoder = sse.SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"") == []  # an empty read changes nothing
    assert decoder.feed(b"\n\r\n") == [E("a")]
    decoder.close()


def test_encoding_refuses_what_cannot_be_written() -> None:
    assert sse.encode_sse("a\nb", event="delta", id="7", retry=5) == (
        b"event: delta\nid: 7\nretry: 5\ndata: a\ndata: b\n\n"
    )
    assert sse.encode_sse("x", event="message") == b"data: x\n\n"
    for kwargs in ({"event": "a\nb"}, {"id": "a\rb"}, {"id": "a\0"}, {"retry": -1},
                   {"retry": True}, {"event": 5}):  # fmt: skip
        with pytest.raises(es.EncodeError):
            sse.encode_sse("x", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(es.EncodeError):
        sse.encode_sse("\ud800")
    with pytest.raises(es.EncodeError):
        sse.encode_sse(b"bytes")  # type: ignore[arg-type]


@given(st.binary(max_size=200))
def test_any_bytes_give_events_or_our_error(data: bytes) -> None:
    with contextlib.suppress(es.EventStreamError):
        sse.decode_sse(data)


def _reference(data: bytes) -> list[sse.ServerSentEvent]:
    """The standard's algorithm, written plainly: the events of whole lines of ``data``."""
    text = data.decode("utf-8")
    text = text.removeprefix("\ufeff")
    *lines, _unfinished = re.split("\r\n|\r|\n", text)
    events, kind, buffer, has_data, last_id, retry = [], "", [], False, None, None
    for line in lines:
        if not line:
            if has_data:
                events.append(E("\n".join(buffer), kind or "message", last_id, retry))
            kind, buffer, has_data = "", [], False
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ") if ":" in line else ""
        if name == "data":
            buffer.append(value)
            has_data = True
        elif name == "event":
            kind = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            retry = int(value)
    return events


_LINES = st.sampled_from(
    ["data: a", "data:b", "data:  c", "data", "data:", "event: e", "event:", "id: 1", "id",
     ": note", "retry: 7", "retry: x", "other: y", "", "datum: z", "data: é"]
)  # fmt: skip


@given(
    st.lists(st.tuples(_LINES, st.sampled_from(["\n", "\r", "\r\n"])), max_size=14),
    st.lists(st.integers(0, 200), max_size=6),
)
def test_any_lines_with_any_endings_at_any_cuts_are_the_standard_s_events(
    lines: list[tuple[str, str]], cuts: list[int]
) -> None:
    data = "".join(line + end for line, end in lines).encode()
    points = sorted({c for c in cuts if 0 < c < len(data)})
    decoder = sse.SSEDecoder()
    got = [
        event
        for a, b in zip([0, *points], [*points, len(data)], strict=True)
        for event in decoder.feed(data[a:b])
    ]
    expected = _reference(data)
    if data.endswith(b"\r"):
        expected = _reference(data + b"\n")  # a CR at the end may yet be a CRLF: one ending
    assert got == expected
